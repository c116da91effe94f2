// Package report writes the incident report of a case from the case folder alone, with no new
// look at the host, so it works on a case copied to another machine: the journal (its hash
// chain verified), each step's saved result (check, investigate, loophole, clean, rotate,
// harden, verify), collect's custody record and the containment journal. It says what is in the
// case and, as plainly, what is not: a step that never ran is reported missing, never invented.
//
// One model (Report) is rendered as Markdown, a self-contained HTML page and JSON, and feeds the
// letters (GDPR Art. 33 and 34, abuse report, management) and the indicator exports (package
// report/ioc). Every statement carries references to its evidence: a case file and line, or a
// finding id.
package report

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/stage/investigate"
)

// Format and Version name the JSON form of the report.
const (
	Format  = "nowwhat-report"
	Version = 1
)

// Options tune Build.
type Options struct {
	// Now is the report's time, which the notification deadline is measured against (zero:
	// the clock's time).
	Now time.Time
	// TimelineRows bounds the hostile rows taken from the investigation (0: 200).
	TimelineRows int
}

// Report is everything the case tells about the incident.
type Report struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	Generated time.Time `json:"generated"`
	Case      string    `json:"case"` // the case folder's name (not its path: the case may move)
	Host      Host      `json:"host"`
	// State is the current state in one word (compromised, contained, cleaned, verified, ...)
	// and Verdict what the last check said.
	State   string      `json:"state"`
	Verdict Verdict     `json:"verdict"`
	Summary []Statement `json:"summary"`
	// Timeline runs from the first hostile event to the return to service (or to now).
	Timeline        []Event `json:"timeline"`
	TimelineLeftOut int     `json:"timeline_left_out,omitempty"`
	Entry           Entry   `json:"entry"`
	// Hole is what loophole named, nil when loophole never ran in this case.
	Hole       *StepSection `json:"hole"`
	Techniques []Technique  `json:"techniques"`
	Findings   []Finding    `json:"findings"`
	Affected   Affected     `json:"affected"`
	Custody    Custody      `json:"custody"`
	Actions    []Action     `json:"actions"`
	// Steps lists each step of the response: whether it ran, and what its result says.
	Steps        []Step       `json:"steps"`
	NotCovered   []Statement  `json:"not_covered"`
	Lessons      []Lesson     `json:"lessons"`
	CSF          []CSFOutcome `json:"csf"`
	Clock        *Clock       `json:"notification_clock"`
	PersonalData PersonalData `json:"personal_data"`
	Indicators   []Indicator  `json:"indicators"`
	Problems     []string     `json:"problems,omitempty"` // what could not be read in the case
	Sources      []string     `json:"sources"`            // the case files this report was built from
	sections     map[string]bool
}

// Host names the system the case is about.
type Host struct {
	Name      string `json:"name,omitempty"`
	OS        string `json:"os,omitempty"`
	Kernel    string `json:"kernel,omitempty"`
	MachineID string `json:"machine_id,omitempty"`
	Root      string `json:"root,omitempty"` // what was examined: / (live) or a mounted image
	Live      bool   `json:"live"`
}

// Ref points at evidence: a file of the case (or of the host, as a finding quotes it) and a
// line, a finding id, or a containment action id.
type Ref struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Finding string `json:"finding,omitempty"`
	Action  string `json:"action,omitempty"`
}

// String writes a reference the way the report shows it.
func (r Ref) String() string {
	var parts []string
	if r.File != "" {
		s := r.File
		if r.Line > 0 {
			s += fmt.Sprintf(":%d", r.Line)
		}
		parts = append(parts, s)
	}
	if r.Finding != "" {
		parts = append(parts, "finding "+r.Finding)
	}
	if r.Action != "" {
		parts = append(parts, "action "+r.Action)
	}
	return strings.Join(parts, ", ")
}

// Statement is one sentence of the report with the evidence behind it.
type Statement struct {
	Text string `json:"text"`
	Refs []Ref  `json:"refs,omitempty"`
}

func say(refs []Ref, format string, a ...any) Statement {
	var out []Ref
	for _, r := range refs {
		if r != (Ref{}) && !containsRef(out, r) {
			out = append(out, r)
		}
	}
	return Statement{Text: fmt.Sprintf(format, a...), Refs: out}
}

// Verdict is check's answer, first and last.
type Verdict struct {
	Last     string    `json:"last"` // clean, suspicious, compromised, incomplete; "" when check never ran
	LastAt   time.Time `json:"last_at,omitempty"`
	LastRef  Ref       `json:"last_ref,omitempty"`
	Summary  string    `json:"summary,omitempty"`
	First    string    `json:"first,omitempty"` // the first check's verdict
	FirstAt  time.Time `json:"first_at,omitempty"`
	Checks   int       `json:"checks"`
	Coverage []string  `json:"not_covered_by_check,omitempty"`
}

// Event is one row of the report's timeline.
type Event struct {
	Time   time.Time `json:"time"`
	Phase  string    `json:"phase"`  // hostile, detection, response, recovery
	Source string    `json:"source"` // where the row comes from: auth, web, file, check, journal, containment, ...
	What   string    `json:"what"`
	Refs   []Ref     `json:"refs,omitempty"`
	Attack []string  `json:"attack,omitempty"`
}

// Timeline phases.
const (
	PhaseHostile   = "hostile"
	PhaseDetection = "detection"
	PhaseResponse  = "response"
	PhaseRecovery  = "recovery"
)

// Entry is the way in, as investigate named it.
type Entry struct {
	Known      bool      `json:"known"` // investigate ran
	Vector     string    `json:"vector"`
	Confidence string    `json:"confidence"`
	Time       time.Time `json:"time,omitempty"`
	Addresses  []string  `json:"addresses"`
	Accounts   []string  `json:"accounts"`
	Summary    string    `json:"summary,omitempty"`
	Evidence   []string  `json:"evidence"`
	Refs       []Ref     `json:"refs,omitempty"`
}

// Technique is an ATT&CK technique seen in the case, with the findings that show it.
type Technique struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Tactic   string   `json:"tactic"`
	Findings []string `json:"findings"`
}

// Finding is a finding of check or investigate, with the report's id for it.
type Finding struct {
	ID          string    `json:"id"`
	Rule        string    `json:"rule"`
	Severity    string    `json:"severity"`
	Title       string    `json:"title"`
	Subject     string    `json:"subject,omitempty"`
	Path        string    `json:"path,omitempty"`
	User        string    `json:"user,omitempty"`
	Address     string    `json:"address,omitempty"`
	Time        time.Time `json:"time,omitempty"`
	Attack      []string  `json:"attack"`
	Evidence    []string  `json:"evidence"`
	Strong      bool      `json:"strong"`
	Explained   bool      `json:"explained"`
	Explanation string    `json:"explanation,omitempty"`
	Action      string    `json:"action,omitempty"`
	Source      Ref       `json:"source"`
}

// hostile reports whether a finding is the intruder's work as far as the case can tell.
func (f Finding) hostile() bool {
	return !f.Explained && (f.Strong || f.Severity == "high" || f.Severity == "critical")
}

// Affected lists the systems, accounts and data the intrusion reached.
type Affected struct {
	Systems  []Statement `json:"systems"`
	Accounts []Statement `json:"accounts"`
	Data     []Statement `json:"data"`
	// RootObtained says the intruder acted as root (and so could read everything on the host).
	RootObtained bool `json:"root_obtained"`
}

// Custody is the evidence and its chain of custody.
type Custody struct {
	Journal     JournalState  `json:"journal"`
	Archives    []Archive     `json:"archives"`
	Results     []ResultFile  `json:"results"`
	Containment *JournalState `json:"containment_journal,omitempty"`
}

// JournalState says whether a journal of the case is whole.
type JournalState struct {
	File    string    `json:"file"`
	Entries int       `json:"entries"`
	Intact  bool      `json:"intact"`
	Problem string    `json:"problem,omitempty"`
	First   time.Time `json:"first,omitempty"`
	Last    time.Time `json:"last,omitempty"`
}

// Archive is one evidence archive collect wrote, as the journal recorded it.
type Archive struct {
	File      string    `json:"file"` // as recorded (a path on the machine that collected it), or "standard output"
	SHA256    string    `json:"sha256,omitempty"`
	Size      int64     `json:"size,omitempty"`
	Items     string    `json:"items,omitempty"`
	Problems  string    `json:"problems,omitempty"`
	Outcome   string    `json:"outcome"`
	By        string    `json:"collected_by"`
	At        time.Time `json:"collected_at"`
	Machine   string    `json:"machine,omitempty"`
	Target    string    `json:"target,omitempty"`
	Sidecar   string    `json:"sidecar"` // what FILE.sha256 beside the archive says, if it is here
	Ref       Ref       `json:"ref"`
	Encrypted bool      `json:"encrypted"`
}

// ResultFile is a step's saved result and whether its digest matches the journal.
type ResultFile struct {
	Step   string `json:"step"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Check  string `json:"check"` // matches journal line N, differs from journal line N, not in the journal
	Ref    Ref    `json:"ref,omitempty"`
}

// Action is one thing done to the host or the case during the response.
type Action struct {
	Time     time.Time `json:"time"`
	Operator string    `json:"operator"`
	Step     string    `json:"step"`
	What     string    `json:"what"`
	Outcome  string    `json:"outcome"`
	Refs     []Ref     `json:"refs"`
}

// Step is one step of the response as the case records it.
type Step struct {
	Name    string       `json:"name"`
	Title   string       `json:"title"`
	Ran     bool         `json:"ran"`
	Runs    int          `json:"runs"`
	Last    time.Time    `json:"last,omitempty"`
	Section *StepSection `json:"section,omitempty"`
	Missing string       `json:"missing,omitempty"` // what the report lacks because the step never ran
}

// StepSection is what a step's saved result says, in statements.
type StepSection struct {
	Step    string      `json:"step"`
	Summary string      `json:"summary,omitempty"`
	Items   []Statement `json:"items"`
	Source  Ref         `json:"source"`
}

// Lesson is a lessons-learned question (NIST SP 800-61) with what the case already answers.
type Lesson struct {
	Question string      `json:"question"`
	Answer   []Statement `json:"answer"`
	Open     bool        `json:"open"` // the case cannot answer it: the team must
}

// CSFOutcome maps report sections to a NIST CSF 2.0 outcome (as SP 800-61r3 uses them).
type CSFOutcome struct {
	ID       string   `json:"id"`
	Outcome  string   `json:"outcome"`
	Sections []string `json:"sections"`
	Status   string   `json:"status"` // recorded, partly recorded, not recorded
	Why      string   `json:"why"`
}

// Indicator is something other teams can look for.
type Indicator struct {
	Type    string    `json:"type"` // ipv4, ipv6, domain, url, sha256, md5, path, ssh-key
	Value   string    `json:"value"`
	Context string    `json:"context"`
	First   time.Time `json:"first_seen,omitempty"`
	Last    time.Time `json:"last_seen,omitempty"`
	Attack  []string  `json:"attack,omitempty"`
	Refs    []Ref     `json:"refs"`
}

// Build reads the case and writes the report model.
func Build(c *casedir.Case, opt Options) (*Report, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	opt.Now = opt.Now.UTC()
	if opt.TimelineRows <= 0 {
		opt.TimelineRows = 200
	}
	v, err := openCase(c)
	if err != nil {
		return nil, err
	}
	r := &Report{Format: Format, Version: Version, Generated: opt.Now, Case: filepath.Base(c.Dir),
		Summary: []Statement{}, Timeline: []Event{}, Techniques: []Technique{}, Findings: []Finding{}, Actions: []Action{},
		Steps: []Step{}, NotCovered: []Statement{}, Indicators: []Indicator{}, Sources: []string{}, sections: map[string]bool{}}
	r.Affected = Affected{Systems: []Statement{}, Accounts: []Statement{}, Data: []Statement{}}
	r.Custody.Archives = []Archive{}
	r.Custody.Results = []ResultFile{}
	r.Entry = Entry{Vector: "unknown", Confidence: "none", Addresses: []string{}, Accounts: []string{}, Evidence: []string{}}
	r.Custody.Journal = v.journalState()
	if v.journalErr != nil {
		r.Problems = append(r.Problems, v.journalErr.Error())
	}
	b := &builder{v: v, r: r, opt: opt}
	for _, rd := range readers {
		rd.read(b)
	}
	b.finish()
	return r, nil
}

// builder carries what the readers share while the report is assembled.
type builder struct {
	v   *caseView
	r   *Report
	opt Options
	// findings by the key of finding.Finding, to give one id to the same finding seen by check
	// and by investigate.
	findingIDs map[string]string
	// what investigate found, for the indicators and the summary
	invIOCs            *investigate.IOCs
	invSrc             string
	invFirst, invLast  time.Time
	archives, contains int
	containSeen        bool
	verified           bool
	dbCreds            Statement // rotate's inventory found database passwords
	verifiedAt         time.Time
}

// step returns (adding it) the report's record of a step.
func (b *builder) step(name string) *Step {
	for i := range b.r.Steps {
		if b.r.Steps[i].Name == name {
			return &b.r.Steps[i]
		}
	}
	b.r.Steps = append(b.r.Steps, Step{Name: name, Title: stepTitles[name]})
	return &b.r.Steps[len(b.r.Steps)-1]
}

// missing notes a step that never ran, and what the report lacks for it.
func (b *builder) missing(name, lacks string) {
	s := b.step(name)
	s.Missing = lacks
	b.r.NotCovered = append(b.r.NotCovered, say([]Ref{{File: casedir.JournalName}}, "No %s in this case: %s", name, lacks))
}

// source notes a case file the report read.
func (b *builder) source(rel string) {
	for _, s := range b.r.Sources {
		if s == rel {
			return
		}
	}
	b.r.Sources = append(b.r.Sources, rel)
}

var stepTitles = map[string]string{
	"check":       "Is it really compromised?",
	"contain":     "Containment",
	"collect":     "Evidence",
	"investigate": "How they got in, what they did",
	"loophole":    "The hole",
	"clean":       "Eradication",
	"rotate":      "Credentials rotated",
	"harden":      "Hardening",
	"verify":      "Return to service",
}

func (b *builder) finish() {
	r := b.r
	sort.SliceStable(r.Timeline, func(i, j int) bool { return r.Timeline[i].Time.Before(r.Timeline[j].Time) })
	sort.SliceStable(r.Actions, func(i, j int) bool { return r.Actions[i].Time.Before(r.Actions[j].Time) })
	sort.Strings(r.Sources)
	b.techniques()
	b.indicators()
	b.affected()
	b.clock()
	b.personalData()
	b.state()
	b.summary()
	b.lessons()
	b.csf()
}
