package ioc

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/nowwhat/nowwhat/internal/stage/report"
)

// MISPEvent is a MISP event in the JSON form MISP's "add event" API and its JSON import accept.
type MISPEvent struct {
	Event MISPEventBody `json:"Event"`
}

// MISPEventBody holds the event's fields (MISP writes numbers as strings).
type MISPEventBody struct {
	UUID          string          `json:"uuid"`
	Info          string          `json:"info"`
	Date          string          `json:"date"`
	ThreatLevelID string          `json:"threat_level_id"` // 1 high, 2 medium, 3 low, 4 undefined
	Analysis      string          `json:"analysis"`        // 0 initial, 1 ongoing, 2 completed
	Distribution  string          `json:"distribution"`    // 0 your organisation only
	Published     bool            `json:"published"`
	Timestamp     string          `json:"timestamp"`
	Attribute     []MISPAttribute `json:"Attribute"`
	Tag           []MISPTag       `json:"Tag,omitempty"`
}

// MISPAttribute is one indicator of the event.
type MISPAttribute struct {
	UUID         string    `json:"uuid"`
	Type         string    `json:"type"`
	Category     string    `json:"category"`
	Value        string    `json:"value"`
	ToIDS        bool      `json:"to_ids"`
	Comment      string    `json:"comment,omitempty"`
	Distribution string    `json:"distribution"` // 5: inherit the event's
	Timestamp    string    `json:"timestamp"`
	FirstSeen    string    `json:"first_seen,omitempty"`
	LastSeen     string    `json:"last_seen,omitempty"`
	Tag          []MISPTag `json:"Tag,omitempty"`
}

// MISPTag is a tag (ATT&CK techniques as MISP galaxy tags).
type MISPTag struct {
	Name string `json:"name"`
}

// mispType gives the MISP attribute type and category of an indicator (from MISP's own type
// list, describeTypes.json; the tests check every pair against it).
func mispType(in report.Indicator) (typ, category string, toIDS bool) {
	switch in.Type {
	case "ipv4", "ipv6":
		if strings.Contains(in.Context, "destination") {
			return "ip-dst", "Network activity", true
		}
		return "ip-src", "Network activity", true
	case "domain":
		return "domain", "Network activity", true
	case "url":
		return "url", "Network activity", true
	case "sha256":
		return "sha256", "Artifacts dropped", true
	case "md5":
		return "md5", "Artifacts dropped", true
	case "path":
		return "filename", "Artifacts dropped", true
	case "ssh-key":
		return "ssh-fingerprint", "Network activity", true
	}
	return "text", "Other", false
}

// galaxyTag names an ATT&CK technique the way MISP's mitre-attack-pattern galaxy does:
// "Technique name - T1234.001".
func galaxyTag(t report.Technique) MISPTag {
	name := t.Name
	if _, after, ok := strings.Cut(name, ": "); ok {
		name = after
	}
	return MISPTag{Name: fmt.Sprintf("misp-galaxy:mitre-attack-pattern=%q", name+" - "+t.ID)}
}

// MISP builds the event: one attribute per indicator, the ATT&CK techniques as galaxy tags,
// distribution limited to your organisation until you choose otherwise.
func MISP(r *report.Report) MISPEvent {
	ts := strconv.FormatInt(r.Generated.Unix(), 10)
	host := r.Host.Name
	if host == "" {
		host = "unnamed host"
	}
	level := "4"
	switch r.Verdict.Last {
	case "compromised":
		level = "1"
	case "suspicious":
		level = "2"
	}
	if r.Verdict.First == "compromised" {
		level = "1"
	}
	analysis := "1"
	if len(r.Steps) > 0 && strings.HasPrefix(r.State, "back in service") {
		analysis = "2"
	}
	date := r.Generated.UTC().Format("2006-01-02")
	if !r.Verdict.FirstAt.IsZero() {
		date = r.Verdict.FirstAt.UTC().Format("2006-01-02")
	}
	ev := MISPEventBody{UUID: uuid.NewSHA1(namespace, []byte(r.Case+"\x00"+r.Host.Name+"\x00misp-event")).String(),
		Info: "Intrusion into " + host + " (nowwhat case " + r.Case + "): " + r.State, Date: date, ThreatLevelID: level, Analysis: analysis,
		Distribution: "0", Timestamp: ts, Attribute: []MISPAttribute{}}
	tech := map[string]report.Technique{}
	for _, t := range r.Techniques {
		tech[t.ID] = t
		ev.Tag = append(ev.Tag, galaxyTag(t))
	}
	for _, in := range r.Indicators {
		typ, cat, ids := mispType(in)
		a := MISPAttribute{UUID: uuid.NewSHA1(namespace, []byte(r.Case+"\x00"+r.Host.Name+"\x00misp\x00"+in.Type+"\x00"+in.Value)).String(),
			Type: typ, Category: cat, Value: in.Value, ToIDS: ids, Comment: in.Context + " (evidence: " + refString(in.Refs) + ")",
			Distribution: "5", Timestamp: ts}
		if !in.First.IsZero() {
			a.FirstSeen = in.First.UTC().Format("2006-01-02T15:04:05.000000Z")
			a.LastSeen = in.Last.UTC().Format("2006-01-02T15:04:05.000000Z")
		}
		for _, id := range in.Attack {
			if t, ok := tech[id]; ok {
				a.Tag = append(a.Tag, galaxyTag(t))
			}
		}
		ev.Attribute = append(ev.Attribute, a)
	}
	return MISPEvent{Event: ev}
}

// WriteMISP writes the event as indented JSON.
func WriteMISP(w io.Writer, r *report.Report) error {
	data, err := json.MarshalIndent(MISP(r), "", "  ")
	if err != nil {
		return fmt.Errorf("MISP event: %w", err)
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
