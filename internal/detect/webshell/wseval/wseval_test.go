package wseval

import (
	"bytes"
	"strings"
	"testing"
)

func TestEvaluateCounts(t *testing.T) {
	shells := []Sample{
		{Path: "a.php", Class: "php", Half: HeldOut, Content: []byte("x")},
		{Path: "b.php", Class: "php", Half: HeldOut, Content: []byte("y")},
		{Path: "c.txt", Class: "php(txt)", Half: Tuning, Content: []byte("x")},
		{Path: "d.txt", Class: "php(txt)", Half: Tuning, Content: []byte("n")},
	}
	benign := []Sample{
		{Path: "w.php", Class: "wordpress", Content: []byte("z")},
		{Path: "v.php", Class: "wordpress", Content: []byte("y")},
		{Path: "i.png", Class: "wordpress", Content: []byte("img")},
	}
	rep := Evaluate(shells, benign, func(s Sample) Verdict {
		lang := "php"
		if string(s.Content) == "img" {
			lang = "unknown"
		}
		if string(s.Content) == "n" {
			lang = "asp"
		}
		return Verdict{Webshell: string(s.Content) == "x", Suspicious: string(s.Content) == "y", Language: lang}
	})
	if r := Find(rep.Shells, "heldout/php"); r.Files != 2 || r.Webshell != 1 || r.Suspicious != 1 || r.Alarms() != 2 {
		t.Errorf("held-out php row %+v", r)
	}
	if r := Find(rep.Shells, "tuning/asp"); r.Files != 1 || r.Alarms() != 0 || len(r.Misses) != 1 {
		t.Errorf("a renamed file counts under the language its content shows: %+v", r)
	}
	if r := Find(rep.Shells, "both/all"); r.Files != 4 || r.Alarms() != 3 {
		t.Errorf("both halves %+v", r)
	}
	if tot := Find(rep.Benign, "all"); tot.Files != 2 || tot.Alarms() != 1 || len(rep.BenignAlarms) != 1 || rep.NotCode != 1 {
		t.Errorf("benign %+v %v not code %d", tot, rep.BenignAlarms, rep.NotCode)
	}
	if Rate(1, 4) != 25 || Rate(1, 0) != 0 {
		t.Errorf("Rate")
	}
	var sb strings.Builder
	rep.Print(&sb, "test")
	if !strings.Contains(sb.String(), "heldout/php") || strings.Index(sb.String(), "heldout/all") > strings.Index(sb.String(), "tuning/") {
		t.Errorf("table order wrong:\n%s", sb.String())
	}
}

func TestFamiliesAndHalves(t *testing.T) {
	base := strings.Repeat("<?php echo system($_GET['c']); $a = array(1, 2, 3); foreach ($a as $v) { print $v; } ?>\n", 3)
	other := "#!/usr/bin/perl\nuse CGI; my $q = CGI->new; print $q->header; print `$q->param('x')`; exit 0;\n"
	samples := []Sample{
		{Path: "x/c99.php", Class: "php", SHA256: strings.Repeat("1", 64), Content: []byte(base)},
		{Path: "y/c99-renamed.txt", Class: "php(txt)", SHA256: strings.Repeat("2", 64), Content: []byte(base + "// greetz\n")},
		{Path: "z/cmd.pl", Class: "perl-cgi", SHA256: strings.Repeat("3", 64), Content: []byte(other)},
		{Path: "z/tiny.php", Class: "php", SHA256: strings.Repeat("4", 64), Content: []byte("<?php eval($_POST[1]);")},
	}
	fam := Families(samples)
	if fam[0] != fam[1] {
		t.Errorf("a renamed copy with a line added is another family: %v", fam)
	}
	if fam[0] == fam[2] || fam[2] == fam[3] || fam[0] == fam[3] {
		t.Errorf("unrelated files share a family: %v", fam)
	}
	halves := AssignHalves(samples, fam)
	if halves[samples[0].SHA256] != halves[samples[1].SHA256] {
		t.Errorf("one family split across halves: %v", halves)
	}
	var buf bytes.Buffer
	if err := WriteSplit(&buf, samples); err != nil {
		t.Fatal(err)
	}
	sp, err := ReadSplit(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if unknown := sp.Apply(samples); len(unknown) != 0 {
		t.Fatalf("samples not in their own split: %v", unknown)
	}
	for i, s := range samples {
		if s.Half != halves[s.SHA256] || s.Family != fam[i] {
			t.Errorf("%s: read back %s/%s, wrote %s/%s", s.Path, s.Family, s.Half, fam[i], halves[s.SHA256])
		}
	}
	samples = append(samples, Sample{Path: "new.php", SHA256: strings.Repeat("5", 64)})
	if unknown := sp.Apply(samples); len(unknown) != 1 || unknown[0] != "new.php" {
		t.Errorf("a sample the split does not know must be reported: %v", unknown)
	}
	if _, err := ReadSplit(strings.NewReader("abc\tf\tmiddle\n")); err == nil {
		t.Error("a malformed split line was accepted")
	}
}

func TestFixedSplitCoversBothHalves(t *testing.T) {
	sp, err := FixedSplit()
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, h := range sp.Half {
		n[h]++
	}
	if n[Tuning] < 200 || n[HeldOut] < 200 {
		t.Errorf("split halves %v: want both halves of the corpus", n)
	}
}

func TestSampleLanguage(t *testing.T) {
	for _, c := range []struct{ class, detected, want string }{
		{"php", "asp", "php"},
		{"php(txt)", "asp", "asp"},
		{"php(txt)", "unknown", "php"},
		{"perl-cgi", "", "perl"},
		{"other:.rb", "ruby", "ruby"},
	} {
		if got := SampleLanguage(c.class, c.detected); got != c.want {
			t.Errorf("SampleLanguage(%q, %q) = %q, want %q", c.class, c.detected, got, c.want)
		}
	}
}
