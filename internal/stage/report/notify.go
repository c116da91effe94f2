package report

import (
	"fmt"
	"time"
)

// NotifyWithin is the time GDPR Art. 33(1) gives to notify the supervisory authority once the
// controller is aware of a personal data breach.
const NotifyWithin = 72 * time.Hour

// Clock is the notification deadline: 72 hours from the moment the case journal first recorded
// a compromised verdict (the earliest moment the case proves awareness).
type Clock struct {
	Aware    time.Time `json:"aware"`
	Ref      Ref       `json:"ref"`
	Deadline time.Time `json:"deadline"`
	Now      time.Time `json:"now"`
	Passed   bool      `json:"passed"`
	// Left is the time left (or, when Passed, how long ago the deadline was), in words.
	Left string `json:"left"`
}

// clock starts the notification clock at the first journal entry that recorded a compromised
// verdict.
func (b *builder) clock() {
	for _, e := range b.v.entries {
		if e.Facts["verdict"] != "compromised" && !(stepOf(e) == "check" && e.Outcome == "compromised") {
			continue
		}
		c := &Clock{Aware: e.Time.UTC(), Ref: journalRef(e), Now: b.opt.Now}
		c.Deadline = c.Aware.Add(NotifyWithin)
		c.Passed = b.opt.Now.After(c.Deadline)
		if c.Passed {
			c.Left = "passed " + span(b.opt.Now.Sub(c.Deadline)) + " ago"
		} else {
			c.Left = span(c.Deadline.Sub(b.opt.Now)) + " left"
		}
		b.r.Clock = c
		return
	}
}

// span writes a duration in days, hours and minutes.
func span(d time.Duration) string {
	d = d.Round(time.Minute)
	days := int(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	h := int(d / time.Hour)
	m := int((d - time.Duration(h)*time.Hour) / time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%d d %d h %d min", days, h, m)
	case h > 0:
		return fmt.Sprintf("%d h %d min", h, m)
	}
	return fmt.Sprintf("%d min", m)
}
