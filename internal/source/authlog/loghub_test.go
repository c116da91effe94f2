package authlog

import (
	"context"
	"encoding/csv"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/testdata"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// loghub finds shared/testdata/loghub/<name> from the package folder up, or skips the test.
func loghub(t *testing.T, name string) string {
	t.Helper()
	return testdata.Shared(t, "loghub", name)
}

// structuredRow is one line of a LogHub *_structured.csv.
type structuredRow struct {
	line     int
	content  string
	id       string
	template string
}

func readStructured(t *testing.T, path string) []structuredRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, c := range []string{"LineId", "Content", "EventId", "EventTemplate"} {
		if _, ok := col[c]; !ok {
			t.Fatalf("%s: no %s column", path, c)
		}
	}
	var rows []structuredRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(rec[col["LineId"]])
		rows = append(rows, structuredRow{n, rec[col["Content"]], rec[col["EventId"]], rec[col["EventTemplate"]]})
	}
	return rows
}

var templateCache = map[string]*regexp.Regexp{}

// slots matches a LogHub template against a message and returns its <*> values by the word
// before each slot ("from", "for", "repeated", "rhost=", ...), the test's own reading of the
// ground truth, independent of the parser.
func slots(t *testing.T, template, content string) map[string]string {
	t.Helper()
	re := templateCache[template]
	parts := strings.Split(template, "<*>")
	if re == nil {
		var b strings.Builder
		b.WriteString("^")
		for i, p := range parts {
			if i > 0 {
				b.WriteString("(.*?)")
			}
			b.WriteString(strings.ReplaceAll(regexp.QuoteMeta(p), " ", `\s*`))
		}
		b.WriteString(`\s*$`)
		re = regexp.MustCompile(b.String())
		templateCache[template] = re
	}
	m := re.FindStringSubmatch(strings.TrimSpace(content))
	if m == nil {
		t.Fatalf("template %q does not match %q", template, content)
	}
	out := map[string]string{}
	for i := 1; i < len(parts); i++ {
		words := strings.Fields(parts[i-1])
		key := ""
		if len(words) > 0 {
			key = words[len(words)-1]
		}
		out[key] = strings.TrimSpace(m[i])
	}
	return out
}

// openSSHKinds is what each OpenSSH template of LogHub must parse to.
var openSSHKinds = map[string]string{
	"E1": KindSSHAccepted, "E2": KindSSHPreauthClose, "E3": KindSSHBadProtocol,
	"E4": KindSSHMaxAuth, "E5": KindSSHMaxAuth, "E6": KindSSHPreauthClose, "E7": KindSSHPreauthClose,
	"E8": KindSSHFailed, "E9": KindSSHFailed, "E10": KindSSHFailed, "E11": KindSSHPreauthClose,
	"E12": KindSSHInvalidUserReq, "E13": KindSSHInvalidUser, "E14": KindSSHFailed,
	"E15": KindPAMAuthFailure, "E16": KindPAMAuthFailure, "E17": KindPAMAuthFailure,
	"E18": KindPAMMaxRetries, "E19": KindPAMAuthFailure, "E20": KindPAMAuthFailure,
	"E21": KindPAMUserUnknown, "E22": KindSSHSessionClose, "E23": KindSSHSessionOpen,
	"E24": KindSSHPreauthClose, "E25": KindSSHPreauthClose, "E26": KindSSHDisconnect,
	"E27": KindSSHReverseMapping,
}

// readRoot lays the log out as /var/log/auth.log with the given modification time and reads it.
func readRoot(t *testing.T, logPath string, mtime time.Time, all bool) ([]Event, Stats) {
	t.Helper()
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	r := fixture.New(t)
	r.File("/var/log/auth.log", string(data), 0o640).Chtimes("/var/log/auth.log", mtime)
	fs, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	rd := &Reader{FS: fs, AllPrograms: all, Problem: func(p string, err error) { t.Errorf("problem %s: %v", p, err) }}
	evs := slices.Collect(rd.Events(context.Background(), Files(fs)))
	return evs, rd.Stats()
}

func TestLogHubOpenSSH(t *testing.T) {
	dir := loghub(t, "OpenSSH")
	rows := readStructured(t, filepath.Join(dir, "OpenSSH_2k.log_structured.csv"))
	if len(rows) == 0 {
		t.Fatal("no rows")
	}
	// Ground truth, per source address, from the templates.
	wantFailed, wantInvalid, wantAccepted := map[string]int{}, map[string]int{}, map[string]int{}
	for _, row := range rows {
		switch row.id {
		case "E9", "E10":
			wantFailed[slots(t, row.template, row.content)["from"]]++
		case "E14":
			s := slots(t, row.template, row.content)
			n, err := strconv.Atoi(s["repeated"])
			if err != nil {
				t.Fatalf("line %d: repeat count %q", row.line, s["repeated"])
			}
			wantFailed[s["from"]] += n
		case "E13":
			wantInvalid[slots(t, row.template, row.content)["from"]]++
		case "E1":
			wantAccepted[slots(t, row.template, row.content)["from"]]++
		}
	}

	// The log's last line is Dec 10; a modification time in early January puts it in 2015.
	evs, st := readRoot(t, filepath.Join(dir, "OpenSSH_2k.log"), time.Date(2016, 1, 3, 0, 0, 0, 0, time.UTC), false)
	if st.Lines != int64(len(rows)) || st.Unparsed != 0 || len(evs) != len(rows) {
		t.Fatalf("lines %d, unparsed %d, events %d; want %d events", st.Lines, st.Unparsed, len(evs), len(rows))
	}
	gotFailed, gotInvalid, gotAccepted := map[string]int{}, map[string]int{}, map[string]int{}
	for i, ev := range evs {
		row := rows[i]
		if ev.Line != row.line {
			t.Fatalf("event %d is of line %d, want %d", i, ev.Line, row.line)
		}
		if want, ok := openSSHKinds[row.id]; !ok || ev.Kind != want {
			t.Errorf("line %d (%s %q): kind %q, want %q", row.line, row.id, row.content, ev.Kind, want)
		}
		if ev.Time.Year() != 2015 || ev.Time.Month() != time.December || ev.File != "/var/log/auth.log" || ev.Host != "LabSZ" {
			t.Errorf("line %d: time %v file %q host %q", row.line, ev.Time, ev.File, ev.Host)
		}
		switch ev.Kind {
		case KindSSHFailed:
			if ev.Method == "password" {
				gotFailed[ev.SourceIP] += ev.Count
			}
		case KindSSHInvalidUser:
			gotInvalid[ev.SourceIP]++
		case KindSSHAccepted:
			gotAccepted[ev.SourceIP]++
		}
	}
	for _, c := range []struct {
		name      string
		got, want map[string]int
	}{{"failed passwords", gotFailed, wantFailed}, {"invalid users", gotInvalid, wantInvalid}, {"accepted logins", gotAccepted, wantAccepted}} {
		if !maps.Equal(c.got, c.want) {
			t.Errorf("%s per source: got %v, want %v", c.name, c.got, c.want)
		}
		if len(c.want) == 0 {
			t.Errorf("%s: the ground truth has none", c.name)
		}
	}
	t.Logf("agreement: %d sources of failed passwords, %d of invalid users, %d of accepted logins",
		len(wantFailed), len(wantInvalid), len(wantAccepted))
}

func TestLogHubLinux(t *testing.T) {
	dir := loghub(t, "Linux")
	rows := readStructured(t, filepath.Join(dir, "Linux_2k.log_structured.csv"))
	// PAM authentication failures of old-style "sshd(pam_unix)" lines, per rhost, and su
	// session openings, from the templates.
	wantFail, wantSu := map[string]int{}, 0
	for _, row := range rows {
		if strings.HasPrefix(row.template, "authentication failure;") {
			wantFail[slots(t, row.template, row.content)["rhost="]]++
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "Linux_2k.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, " su(pam_unix)[") && strings.Contains(l, "session opened for user") {
			wantSu++
		}
	}
	evs, st := readRoot(t, filepath.Join(dir, "Linux_2k.log"), time.Date(2005, 7, 28, 0, 0, 0, 0, time.UTC), true)
	if st.Lines != int64(len(rows)) || st.Unparsed != 0 || len(evs) != len(rows) {
		t.Fatalf("lines %d, unparsed %d, events %d; want %d events", st.Lines, st.Unparsed, len(evs), len(rows))
	}
	gotFail, gotSu := map[string]int{}, 0
	for _, ev := range evs {
		if ev.Time.Year() != 2005 {
			t.Errorf("line %d: year %d", ev.Line, ev.Time.Year())
		}
		switch ev.Kind {
		case KindPAMAuthFailure:
			gotFail[ev.SourceIP+ev.SourceHost] += ev.Count
		case KindSuSessionOpen:
			gotSu++
		}
	}
	if !maps.Equal(gotFail, wantFail) || len(wantFail) == 0 {
		t.Errorf("PAM failures per rhost: got %v, want %v", gotFail, wantFail)
	}
	if gotSu != wantSu || wantSu == 0 {
		t.Errorf("su sessions: got %d, want %d", gotSu, wantSu)
	}
}
