package casedir

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// NotesName is the file of change notes inside a case folder.
const NotesName = "notes.jsonl"

// Note is a planned change recorded by an operator (`nowwhat note`), which check takes into
// account when it tells an administrator's change from an intruder's.
type Note struct {
	Time     time.Time `json:"time"`
	Operator string    `json:"operator"`
	Text     string    `json:"text"`
	Paths    []string  `json:"paths,omitempty"`
}

// AddNote appends a note (with fsync). Time and operator are filled in when empty.
func (c *Case) AddNote(n Note) error {
	if n.Time.IsZero() {
		n.Time = time.Now().UTC()
	}
	if n.Operator == "" {
		n.Operator, _ = Operator()
	}
	line, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode note: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(c.Dir, NotesName), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open notes: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write note: %w", err)
	}
	return f.Sync()
}

// Notes reads the case's notes; damaged lines are skipped and counted in the error.
func (c *Case) Notes() ([]Note, error) {
	f, err := os.Open(filepath.Join(c.Dir, NotesName))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("open notes: %w", err)
	}
	defer f.Close()
	var out []Note
	bad := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var n Note
		if err := json.Unmarshal(sc.Bytes(), &n); err != nil {
			bad++
			continue
		}
		out = append(out, n)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read notes: %w", err)
	}
	if bad > 0 {
		return out, fmt.Errorf("%d damaged lines in %s skipped", bad, NotesName)
	}
	return out, nil
}
