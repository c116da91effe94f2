package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var htmlSource string

//go:embed report.css
var cssSource string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"stamp":     stamp,
	"vis":       func(s string, n int) string { return Visible(s, n) },
	"refs":      refList,
	"join":      strings.Join,
	"csf":       func(s string) string { return sectionCSF[s] },
	"vector":    func(v string) string { return firstNonEmpty(vectorWords[v], v) },
	"hms":       func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"add":       func(a, b int) int { return a + b },
	"attackURL": AttackURL,
	"css":       func() template.CSS { return template.CSS(cssSource) },
	"slice1":    func(r Ref) []Ref { return []Ref{r} },
}).Parse(htmlSource))

func refList(rs []Ref) string {
	var out []string
	for _, r := range rs {
		if s := r.String(); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "; ")
}

// WriteHTML writes the report as one HTML file: embedded CSS, no script, nothing loaded from
// elsewhere (a Content-Security-Policy forbids it), printable, with the timeline drawn as inline
// SVG. Every string is escaped by html/template, after control characters were made visible.
func (r *Report) WriteHTML(w io.Writer) error {
	r = r.visibleCopy()
	data := struct {
		*Report
		Disclaimer  string
		SVG         svgTimeline
		Unexplained []Finding
		Explained   int
	}{Report: r, Disclaimer: Disclaimer, SVG: r.svg()}
	for _, f := range r.Findings {
		if f.Explained {
			data.Explained++
		} else {
			data.Unexplained = append(data.Unexplained, f)
		}
	}
	return htmlTemplate.Execute(w, data)
}

// svgTimeline is the timeline picture: one lane per phase, a dot per event, labels on the
// moments that matter (first hostile event, the way in, detection, containment, return).
type svgTimeline struct {
	Width, Height int
	Lanes         []svgLane
	Dots          []svgDot
	Ticks         []svgTick
	Marks         []svgMark
	Empty         bool
}

type svgLane struct {
	Y     int
	Name  string
	Color string
}

type svgDot struct {
	X, Y  int
	Color string
	Title string
}

type svgTick struct {
	X      int
	Label  string
	Anchor string
}

type svgMark struct {
	X, Y, TextY int
	Label       string
	Anchor      string
}

var phaseColor = map[string]string{PhaseHostile: "#c0392b", PhaseDetection: "#d68910", PhaseResponse: "#2471a3", PhaseRecovery: "#1e8449"}

func (r *Report) svg() svgTimeline {
	const left, right, top, lane = 110, 30, 46, 34
	s := svgTimeline{Width: 960}
	phases := []string{PhaseHostile, PhaseDetection, PhaseResponse, PhaseRecovery}
	for i, p := range phases {
		s.Lanes = append(s.Lanes, svgLane{Y: top + i*lane, Name: p, Color: phaseColor[p]})
	}
	s.Height = top + len(phases)*lane + 40
	if len(r.Timeline) == 0 {
		s.Empty = true
		return s
	}
	lo, hi := r.Timeline[0].Time, r.Timeline[0].Time
	for _, e := range r.Timeline {
		if e.Time.Before(lo) {
			lo = e.Time
		}
		if e.Time.After(hi) {
			hi = e.Time
		}
	}
	spanW := float64(s.Width - left - right)
	x := func(t time.Time) int {
		if !hi.After(lo) {
			return left + int(spanW/2)
		}
		return left + int(spanW*float64(t.Sub(lo))/float64(hi.Sub(lo)))
	}
	laneY := map[string]int{}
	for _, l := range s.Lanes {
		laneY[l.Name] = l.Y
	}
	for _, e := range r.Timeline {
		s.Dots = append(s.Dots, svgDot{X: x(e.Time), Y: laneY[e.Phase], Color: phaseColor[e.Phase], Title: stamp(e.Time) + ": " + Visible(e.What, 160)})
	}
	for i := 0; i <= 4; i++ {
		t := lo.Add(time.Duration(float64(hi.Sub(lo)) * float64(i) / 4))
		anchor := "middle"
		switch {
		case i == 0:
			anchor = "start"
		case i == 4:
			anchor = "end"
		}
		s.Ticks = append(s.Ticks, svgTick{X: x(t), Label: t.UTC().Format("01-02 15:04"), Anchor: anchor})
		if !hi.After(lo) {
			break
		}
	}
	// Marks: the first event of each phase, and the way in.
	seen := map[string]bool{}
	for _, e := range r.Timeline {
		if seen[e.Phase] {
			continue
		}
		seen[e.Phase] = true
		label := map[string]string{PhaseHostile: "first sign of the intruder", PhaseDetection: "detected", PhaseResponse: "response starts", PhaseRecovery: "recovery"}[e.Phase]
		s.Marks = append(s.Marks, svgMark{X: x(e.Time), Y: laneY[e.Phase], TextY: laneY[e.Phase] - 10, Label: label + " " + e.Time.UTC().Format("01-02 15:04")})
	}
	for i := range s.Marks {
		s.Marks[i].Anchor = "start"
		if s.Marks[i].X > s.Width-260 {
			s.Marks[i].Anchor = "end"
		}
	}
	return s
}

func (s svgTimeline) String() string {
	return fmt.Sprintf("timeline %dx%d, %d dots", s.Width, s.Height, len(s.Dots))
}
