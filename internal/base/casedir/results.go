package casedir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ResultsDir is the folder of a case that keeps each step's full result (check's report,
// investigate's report, loophole, rotate, ...), one JSON file per run, so later steps (verify,
// report, the guide) work from the case alone, on another machine too.
const ResultsDir = "results"

// maxResult bounds a result file read back (a case copied from elsewhere is input too).
const maxResult = 256 << 20

// SaveResult writes v as results/<step>-<UTC time>.json (0600, fsync'd, written whole or not at
// all) and returns it as an output for the journal entry.
func (c *Case) SaveResult(step string, v any) (Output, error) {
	if step == "" || strings.ContainsAny(step, "/\\") || strings.HasPrefix(step, ".") {
		return Output{}, fmt.Errorf("result name %q: a plain step name is needed", step)
	}
	dir := filepath.Join(c.Dir, ResultsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Output{}, fmt.Errorf("case results folder: %w", err)
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return Output{}, fmt.Errorf("encode %s result: %w", step, err)
	}
	name := step + "-" + time.Now().UTC().Format("20060102T150405.000000000Z") + ".json"
	tmp, err := os.CreateTemp(dir, ".tmp-"+step+"-*")
	if err != nil {
		return Output{}, fmt.Errorf("save %s result: %w", step, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return Output{}, fmt.Errorf("save %s result: %w", step, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return Output{}, fmt.Errorf("save %s result: %w", step, err)
	}
	if err := tmp.Close(); err != nil {
		return Output{}, fmt.Errorf("save %s result: %w", step, err)
	}
	final := filepath.Join(dir, name)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Output{}, fmt.Errorf("save %s result: %w", step, err)
	}
	return FileOutput(final), nil
}

// ErrNoResult says a step has no saved result in the case.
var ErrNoResult = errors.New("no saved result")

// Results lists the saved results of a step, oldest first.
func (c *Case) Results(step string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(c.Dir, ResultsDir))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("case results folder: %w", err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(n, step+"-") || !strings.HasSuffix(n, ".json") {
			continue
		}
		// step "check" must not pick up "check-xyz" steps: the rest is the time stamp.
		if ts := strings.TrimSuffix(strings.TrimPrefix(n, step+"-"), ".json"); len(ts) < 16 || ts[0] < '0' || ts[0] > '9' {
			continue
		}
		out = append(out, filepath.Join(c.Dir, ResultsDir, n))
	}
	sort.Strings(out) // the time stamps sort as text
	return out, nil
}

// LatestResult decodes the newest saved result of a step into v and returns its path;
// ErrNoResult (wrapped) when the step never ran in this case.
func (c *Case) LatestResult(step string, v any) (string, error) {
	list, err := c.Results(step)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", fmt.Errorf("%s: %w in case %s", step, ErrNoResult, c.Dir)
	}
	p := list[len(list)-1]
	return p, ReadResult(p, v)
}

// ReadResult decodes one result file, refusing anything but a regular file and anything over
// the cap.
func ReadResult(path string, v any) error {
	f, err := os.OpenFile(path, os.O_RDONLY|syscallNoFollow|syscallNonBlock, 0)
	if err != nil {
		return fmt.Errorf("open result %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("result %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("result %s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxResult+1))
	if err != nil {
		return fmt.Errorf("read result %s: %w", path, err)
	}
	if len(data) > maxResult {
		return fmt.Errorf("result %s is over %d MiB: refused", path, maxResult>>20)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("result %s is damaged: %w", path, err)
	}
	return nil
}
