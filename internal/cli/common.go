package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/localfile"
	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/stage/check"
)

// journal records one command in the case folder, if there is one.
type journal struct {
	g       *globals
	c       *casedir.Case
	cmd     string
	args    []string
	target  string
	start   time.Time
	outputs []casedir.Output
	facts   map[string]string
}

// openJournal opens the case folder (if any), warns about where it sits, and starts an entry.
func (g *globals) openJournal(cmd *cobra.Command, target string) (*journal, error) {
	j := &journal{g: g, cmd: cmd.Name(), args: os.Args[1:], target: target, start: time.Now(), facts: map[string]string{}}
	if g.caseDir == "" {
		return j, nil
	}
	c, err := casedir.Open(g.caseDir)
	if err != nil {
		return nil, err
	}
	j.c = c
	if w := casedir.Placement(c.Dir, target); w != "" && !g.quiet {
		fmt.Fprintln(g.stderr, "warning: "+w)
	}
	return j, nil
}

// output notes a file the command produced (hashed into the journal).
func (j *journal) output(path string) {
	if path == "" || path == "-" {
		return
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	j.outputs = append(j.outputs, casedir.FileOutput(abs))
}

// save keeps a step's full result in the case folder (results/STEP-TIME.json) and lists it among
// the entry's outputs, so verify, report and the guide can work from the case alone. Without a
// case it does nothing; a failure to save is printed, not fatal (the result was shown).
func (j *journal) save(step string, v any) {
	if j == nil || j.c == nil {
		return
	}
	out, err := j.c.SaveResult(step, v)
	if err != nil {
		fmt.Fprintln(j.g.stderr, "warning: could not keep the result in the case folder: "+err.Error())
		return
	}
	j.outputs = append(j.outputs, out)
}

// caseFacts gives a check what the case knows: the change notes and the addresses and keys the
// operators vouched for. Damaged files are reported, not fatal.
func (g *globals) caseFacts(j *journal, opt *check.Options) {
	if j == nil || j.c == nil {
		return
	}
	notes, err := j.c.Notes()
	if err != nil {
		g.info("warning: %v", err)
	}
	opt.Notes = notes
	trust, err := j.c.Trusts()
	if err != nil {
		g.info("warning: %v", err)
	}
	opt.Trust = trust
}

// done writes the entry; the command's own error wins over a journal error, which is printed.
func (j *journal) done(outcome string, detail string, err error) error {
	if j == nil || j.c == nil {
		return err
	}
	if err != nil && outcome == "" {
		outcome = "failed"
	}
	if err != nil && detail == "" {
		detail = err.Error()
	}
	if outcome == "" {
		outcome = "ok"
	}
	jerr := j.c.Append(casedir.Entry{Command: j.cmd, Args: j.args, Target: j.target, Outcome: outcome, Detail: detail,
		Outputs: j.outputs, Facts: j.facts, Duration: time.Since(j.start).Seconds()})
	if jerr != nil {
		fmt.Fprintln(j.g.stderr, "warning: could not write the case journal: "+jerr.Error())
	}
	return err
}

// info prints an informational line to stderr unless quiet.
func (g *globals) info(format string, a ...any) {
	if !g.quiet {
		// Arguments may hold names from the host: shown escaped, the message's own lines kept.
		fmt.Fprintln(g.stderr, textsafe.Lines(fmt.Sprintf(format, a...)))
	}
}

// parseSize reads sizes like 512, 64K, 200M, 2G, 1GiB, 1.5GB.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	if t == "" || t == "0" {
		return 0, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
		{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			mult = u.m
			t = strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("size %q: give a number with an optional unit, such as 512M or 2G", s)
	}
	return int64(f * float64(mult)), nil
}

// readPassword gets a key password: from a file, else asked on the terminal.
func (g *globals) readPassword(file, prompt string, confirm bool) (string, error) {
	if file != "" {
		b, err := localfile.ReadFile(file, "a file holding the password", 64<<10)
		if err != nil {
			return "", fmt.Errorf("read password file: %w", err)
		}
		return string(bytes.TrimRight(b, "\r\n")), nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", errors.New("no terminal to ask for the key's password: give --password-file FILE")
	}
	defer tty.Close()
	fmt.Fprint(tty, prompt)
	pw, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if confirm {
		fmt.Fprint(tty, "Again, to be sure: ")
		pw2, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if !bytes.Equal(pw, pw2) {
			return "", errors.New("the two passwords differ; nothing was written")
		}
	}
	return string(pw), nil
}
