package ioc

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/stage/report"
)

// TimesketchEvent is one line of a Timesketch JSONL import: the three fields Timesketch needs
// (message, datetime, timestamp_desc), the time in microseconds, and the source fields.
type TimesketchEvent struct {
	Message       string   `json:"message"`
	Datetime      string   `json:"datetime"`
	TimestampDesc string   `json:"timestamp_desc"`
	Timestamp     int64    `json:"timestamp"`
	DataType      string   `json:"data_type"`
	Phase         string   `json:"phase"`
	Source        string   `json:"source"`
	Evidence      string   `json:"evidence,omitempty"`
	Attack        []string `json:"attack,omitempty"`
	Hostname      string   `json:"hostname,omitempty"`
	Case          string   `json:"case"`
	Tag           []string `json:"tag,omitempty"`
}

var timestampDesc = map[string]string{
	report.PhaseHostile:   "Intrusion event",
	report.PhaseDetection: "Detection",
	report.PhaseResponse:  "Response action",
	report.PhaseRecovery:  "Recovery action",
}

// WriteTimesketch writes the report's timeline as Timesketch JSONL, one event a line.
func WriteTimesketch(w io.Writer, r *report.Report) error {
	enc := json.NewEncoder(w)
	for _, e := range r.Timeline {
		ev := TimesketchEvent{Message: e.What, Datetime: e.Time.UTC().Format(time.RFC3339Nano), TimestampDesc: timestampDesc[e.Phase],
			Timestamp: e.Time.UnixMicro(), DataType: "nowwhat:report:" + e.Phase, Phase: e.Phase, Source: e.Source,
			Evidence: refString(e.Refs), Attack: e.Attack, Hostname: r.Host.Name, Case: r.Case}
		if ev.TimestampDesc == "" {
			ev.TimestampDesc = "Event"
		}
		if e.Phase == report.PhaseHostile {
			ev.Tag = []string{"intrusion"}
		}
		ev.Message = strings.TrimSpace(ev.Message)
		if err := enc.Encode(ev); err != nil {
			return fmt.Errorf("timesketch: %w", err)
		}
	}
	return nil
}
