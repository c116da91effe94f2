package rotate

import (
	"encoding/json"

	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// journaled is the latest state of a rotation that touched an item.
type journaled struct {
	id, kind, phase, err string
}

// undoItems is the part of every rotation's undo record that names the items it rotates.
type undoItems struct {
	Items []string `json:"items"`
}

// journalItems maps item IDs to the rotation that last touched them, from the journal.
func journalItems(c *Case) map[string]journaled {
	out := map[string]journaled{}
	es, _, err := c.Journal().Entries()
	if err != nil {
		return out
	}
	for _, e := range es {
		var u undoItems
		if len(e.Undo) > 0 {
			json.Unmarshal(e.Undo, &u)
		}
		for _, id := range u.Items {
			out[id] = journaled{id: e.ID, kind: e.Kind, phase: e.Phase, err: e.Error}
		}
	}
	return out
}

// entries lists the rotation journal's actions.
func entries(c *Case) ([]contain.Entry, error) {
	es, _, err := c.Journal().Entries()
	return es, err
}
