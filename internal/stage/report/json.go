package report

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the report model as indented JSON (the form other tools read).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
