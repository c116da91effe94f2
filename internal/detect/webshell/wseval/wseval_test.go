package wseval

import (
	"strings"
	"testing"
)

func TestEvaluateCounts(t *testing.T) {
	shells := []Sample{
		{Path: "a.php", Class: "php", Content: []byte("x")},
		{Path: "b.php", Class: "php", Content: []byte("y")},
		{Path: "c.txt", Class: "php(txt)", Content: []byte("x")},
	}
	benign := []Sample{{Path: "w.php", Class: "php", Content: []byte("z")}, {Path: "v.php", Class: "php", Content: []byte("y")}}
	rep := Evaluate(shells, benign, func(name string, b []byte) Verdict {
		return Verdict{Webshell: string(b) == "x", Suspicious: string(b) == "y", Language: "php"}
	})
	rows := map[string]Row{}
	for _, r := range rep.Shells {
		rows[r.Group] = r
	}
	if r := rows["php"]; r.Files != 2 || r.Webshell != 1 || r.Suspicious != 1 || r.Alarms() != 2 {
		t.Errorf("php row %+v", r)
	}
	if r := rows["txt:php"]; r.Files != 1 || r.Webshell != 1 {
		t.Errorf("txt row %+v", r)
	}
	if tot := Total(rep.Benign); tot.Files != 2 || tot.Alarms() != 1 || len(rep.BenignAlarmList) != 1 {
		t.Errorf("benign %+v %v", tot, rep.BenignAlarmList)
	}
	if Rate(1, 4) != 25 || Rate(1, 0) != 0 {
		t.Errorf("Rate")
	}
	var sb strings.Builder
	rep.Print(&sb)
	if !strings.Contains(sb.String(), "txt:php") {
		t.Errorf("table lacks the txt row:\n%s", sb.String())
	}
}
