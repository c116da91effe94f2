// Command authlog is the benchmark helper of bench/authlog/run.sh.
//
//	authlog gen -src OpenSSH_2k.log -n 5000000 -o ROOT/var/log/auth.log
//
// writes an auth.log of n lines by replaying the sample's lines with new traditional time
// stamps, 6 s apart from 2025-03-01 on (5 million lines span the new year, so the year
// inference is exercised), and sets the file's modification time to its last line.
//
//	authlog parse -root ROOT
//
// reads ROOT/var/log/auth.log* through internal/authlog exactly as nowwhat does (file listing,
// year pass, streaming parse) and prints lines/s and counts.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/source/authlog"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: authlog gen|parse ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "parse":
		err = parse(os.Args[2:])
	case "spray":
		err = spray(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "authlog:", err)
		os.Exit(1)
	}
}

func gen(args []string) error {
	fl := flag.NewFlagSet("gen", flag.ExitOnError)
	src := fl.String("src", "", "sample log (traditional syslog stamps)")
	n := fl.Int("n", 5_000_000, "lines to write")
	out := fl.String("o", "", "file to write")
	fl.Parse(args)
	data, err := os.ReadFile(*src)
	if err != nil {
		return err
	}
	var bodies [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(l) > 16 {
			bodies = append(bodies, l[15:]) // " HOST prog[pid]: message"
		}
	}
	if len(bodies) == 0 {
		return fmt.Errorf("%s: no lines", *src)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	t := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	var stamp []byte
	for i := 0; i < *n; i++ {
		stamp = t.AppendFormat(stamp[:0], time.Stamp)
		w.Write(stamp)
		w.Write(bodies[i%len(bodies)])
		w.WriteByte('\n')
		if i < *n-1 {
			t = t.Add(6 * time.Second)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chtimes(*out, t, t)
}

// spray writes the worst case for per-source state: N failed logins from one address, each for
// a different account name, then one success from it (the intruder's).
func spray(args []string) error {
	fl := flag.NewFlagSet("spray", flag.ExitOnError)
	n := fl.Int("n", 2_000_000, "failed logins to write")
	out := fl.String("o", "", "file to write")
	fl.Parse(args)
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	t := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	var stamp []byte
	for i := 0; i < *n; i++ {
		stamp = t.AppendFormat(stamp[:0], time.Stamp)
		fmt.Fprintf(w, "%s web1 sshd[%d]: Failed password for invalid user u%07d from 203.0.113.9 port %d ssh2\n", stamp, 1000+i%30000, i, 30000+i%30000)
		if i%20 == 19 {
			t = t.Add(time.Second)
		}
	}
	stamp = t.Add(time.Second).AppendFormat(stamp[:0], time.Stamp)
	fmt.Fprintf(w, "%s web1 sshd[999]: Accepted password for root from 203.0.113.9 port 40000 ssh2\n", stamp)
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chtimes(*out, t, t)
}

func parse(args []string) error {
	fl := flag.NewFlagSet("parse", flag.ExitOnError)
	root := fl.String("root", "", "host root holding var/log/auth.log")
	fl.Parse(args)
	fs, err := hostfs.Open(*root)
	if err != nil {
		return err
	}
	defer fs.Close()
	rd := &authlog.Reader{FS: fs, Problem: func(p string, err error) { fmt.Fprintf(os.Stderr, "problem %s: %v\n", p, err) }}
	start := time.Now()
	var failedLines, failedAttempts, invalid, accepted, events int
	var first, last time.Time
	for ev := range rd.Events(context.Background(), authlog.Files(fs)) {
		events++
		if first.IsZero() {
			first = ev.Time
		}
		last = ev.Time
		switch ev.Kind {
		case authlog.KindSSHFailed:
			if ev.Method == "password" {
				failedLines++
				failedAttempts += ev.Count
			}
		case authlog.KindSSHInvalidUser:
			invalid++
		case authlog.KindSSHAccepted:
			accepted++
		}
	}
	el := time.Since(start).Seconds()
	st := rd.Stats()
	fmt.Printf("lines %d events %d unparsed %d seconds %.3f lines_per_s %.0f\n", st.Lines, events, st.Unparsed, el, float64(st.Lines)/el)
	fmt.Printf("failed_password_lines %d failed_password_attempts %d invalid_user %d accepted %d\n", failedLines, failedAttempts, invalid, accepted)
	fmt.Printf("first %s last %s\n", first.Format(time.RFC3339), last.Format(time.RFC3339))
	return nil
}
