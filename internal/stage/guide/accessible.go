package guide

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"charm.land/huh/v2"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/textsafe"
)

// lineReader hands out one line per read, so each of huh's accessible prompts (which wrap the
// input in their own scanner) takes only its own answer.
type lineReader struct {
	r     *bufio.Reader
	ended *bool
}

var errInputEnded = errors.New("the input ended: everything done so far is in the case journal")

func (l lineReader) eof() bool { return *l.ended }

func (l lineReader) Read(p []byte) (int, error) {
	line, err := l.r.ReadSlice('\n')
	if err == io.EOF {
		*l.ended = true
	}
	n := copy(p, line)
	if n < len(line) {
		// the caller's buffer is small: give back what did not fit
		return n, nil
	}
	if err == bufio.ErrBufferFull {
		err = nil
	}
	return n, err
}

// Accessible is the guide as line-by-line questions (huh's accessible mode) for screen readers
// and terminals that cannot draw a full screen: the same state, steps and commands as the
// full-screen guide, and the same rule: nothing changes without an explicit yes after the plan.
func Accessible(cfg *Config, run Runner, in io.Reader, out io.Writer) (err error) {
	defer func() {
		if errors.Is(err, errInputEnded) {
			fmt.Fprintln(out, errInputEnded.Error())
			err = nil
		}
	}()
	r := lineReader{r: bufio.NewReader(in), ended: new(bool)}
	form := func(fields ...huh.Field) (err error) {
		// huh's accessible prompts index past their options when the input ends after an
		// invalid answer: an ended input ends the guide, it is not a crash.
		defer func() {
			if p := recover(); p != nil {
				err = errInputEnded
			}
		}()
		err = huh.NewForm(huh.NewGroup(fields...)).WithAccessible(true).WithInput(r).WithOutput(out).Run()
		if err == nil && r.eof() {
			err = errInputEnded
		}
		return err
	}
	if cfg.Case == "" {
		suggest, lines := CaseAdvice(cfg.Root)
		for _, l := range lines {
			fmt.Fprintln(out, l)
		}
		dir := suggest
		if err := form(huh.NewInput().Title("Case folder (keep it off the suspect disk)").Value(&dir)); err != nil {
			return err
		}
		c, err := casedir.Open(strings.TrimSpace(dir))
		if err != nil {
			return err
		}
		cfg.Case = c.Dir
	}
	for {
		st := Load(cfg.Case)
		if err := Plain(out, cfg, st); err != nil {
			return err
		}
		next, _ := st.Next(cfg)
		if next == StepDone {
			return nil
		}
		acts := Actions(cfg, st, next)
		var opts []huh.Option[string]
		for i, a := range acts {
			if a.Blocked == "" {
				opts = append(opts, huh.NewOption(a.Label, strconv.Itoa(i)))
			}
		}
		opts = append(opts, huh.NewOption("Skip this step", "skip"), huh.NewOption("Quit (everything is in the case journal)", "quit"))
		choice := opts[0].Value
		if err := form(huh.NewSelect[string]().Title(StepByID(next).Title + ": what now?").Options(opts...).Value(&choice)); err != nil {
			return err
		}
		switch choice {
		case "quit":
			return nil
		case "skip":
			if err := Skip(cfg.Case, next); err != nil {
				return err
			}
			continue
		}
		i, _ := strconv.Atoi(choice)
		a := acts[i]
		switch {
		case a.Decide != "":
			if err := Decide(cfg.Case, a.Decide); err != nil {
				return err
			}
			continue
		case a.Ask != nil:
			answers := make([]string, len(a.Ask))
			var fields []huh.Field
			for j, q := range a.Ask {
				answers[j] = q.Default
				fields = append(fields, huh.NewInput().Title(q.Prompt).Value(&answers[j]))
			}
			if err := form(fields...); err != nil {
				return err
			}
			a.Args = a.Fill(answers)
		}
		code, err := runAndShow(run, a.Args, out)
		if err != nil {
			return err
		}
		if a.Apply == nil || code != 0 {
			continue
		}
		yes := false
		if err := form(huh.NewConfirm().Title("That was the plan: nothing has changed. Apply it? (" + CommandLine(a.Apply) + ")").Affirmative("Yes, apply").Negative("No").Value(&yes)); err != nil {
			return err
		}
		if !yes {
			fmt.Fprintln(out, "Nothing was changed.")
			continue
		}
		if _, err := runAndShow(run, a.Apply, out); err != nil {
			return err
		}
	}
}

func runAndShow(run Runner, args []string, out io.Writer) (int, error) {
	fmt.Fprintf(out, "Running: %s\n", CommandLine(args))
	job, err := run.Start(args)
	if err != nil {
		return -1, err
	}
	code, err := job.Wait()
	fmt.Fprintln(out, textsafe.Lines(ReadOutput(job.Output(), 1<<20)))
	if err != nil {
		return code, err
	}
	fmt.Fprintf(out, "(exit status %d; the output is kept in %s)\n\n", code, textsafe.Escape(job.Output()))
	return code, nil
}
