package packages

import (
	"fmt"
)

// LineError is a line a parser could not understand.
type LineError struct {
	Line   int    // 1-based line number
	Text   string // the line, cut to 200 bytes
	Reason string
}

func (e LineError) Error() string {
	return fmt.Sprintf("line %d: %s: %q", e.Line, e.Reason, e.Text)
}

func lineError(n int, line []byte, reason string) LineError {
	if len(line) > 200 {
		line = line[:200]
	}
	return LineError{Line: n, Text: string(line), Reason: reason}
}
