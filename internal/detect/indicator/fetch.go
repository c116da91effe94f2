package indicator

import (
	"path"
	"strings"
)

var fetchRun = rule{id: "download-exec.fetch-run", cat: CatDownloadExec, sev: High, attack: attDownload}

// fetchWindow is how many following lines a download may be run in.
const fetchWindow = 5

// fetchThenRun finds a file downloaded with curl/wget/tftp and then run, in the same line
// (after ";", "&&" or "||") or in the next few lines: "curl -o /tmp/x URL; chmod +x /tmp/x;
// /tmp/x". The match is reported on the download's line.
func fetchThenRun(lines []line) []Match {
	var out []Match
	for li := range lines {
		l := &lines[li]
		if isComment(l.lc) || !containsAny(l.lc, "curl", "wget", "fetch", "tftp", "aria2c") {
			continue
		}
		rawSegs := segments(l.raw)
		for si, s := range rawSegs {
			c, i := s.cmd()
			c = strings.ToLower(c)
			if !downloaders[c] || i < 0 {
				continue
			}
			file := strings.ToLower(downloadTarget(c, s.words[i+1:], s.text))
			if file == "" || file == "-" || file == "/dev/null" || file == "/dev/stdout" {
				continue
			}
			hit := false
			for k := si + 1; k < len(l.segs) && !hit; k++ {
				hit = runsFile(l.segs[k], file)
			}
			for lj := li + 1; lj < len(lines) && lj <= li+fetchWindow && !hit; lj++ {
				if isComment(lines[lj].lc) {
					continue
				}
				for _, t := range lines[lj].segs {
					if runsFile(t, file) {
						hit = true
						break
					}
				}
			}
			if hit {
				out = append(out, Match{Rule: fetchRun.id, Category: fetchRun.cat, Severity: fetchRun.sev, Evidence: evidence(l.raw), Line: l.no, Attack: fetchRun.attack})
				break
			}
		}
	}
	return out
}

// downloadTarget returns the file a download command writes, from its words as written
// (case matters: curl -o FILE against -O).
func downloadTarget(cmd string, args []string, text []byte) string {
	url, out, dir := "", "", ""
	remoteName := false
	for k := 0; k < len(args); k++ {
		w := args[k]
		next := func() string {
			if k+1 < len(args) {
				k++
				return args[k]
			}
			return ""
		}
		short := strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "--") && len(w) >= 2
		switch {
		case strings.Contains(w, "://"):
			if url == "" {
				url = w
			}
		case cmd == "curl" && w == "--output":
			out = next()
		case cmd == "curl" && w == "--remote-name":
			remoteName = true
		case cmd == "curl" && short && strings.HasSuffix(w, "o"):
			out = next()
		case cmd == "curl" && short && strings.HasSuffix(w, "O"):
			remoteName = true
		case cmd == "curl" && short && strings.Contains(w, "o"):
			out = w[strings.IndexByte(w, 'o')+1:]
		case cmd != "curl" && strings.HasPrefix(w, "--output-document="):
			out = w[len("--output-document="):]
		case cmd != "curl" && (w == "--output-document" || w == "--out"):
			out = next()
		case cmd == "wget" && short && strings.HasSuffix(w, "O"):
			out = next()
		case cmd == "wget" && short && strings.Contains(w, "O"):
			out = w[strings.IndexByte(w, 'O')+1:]
		case cmd == "wget" && (w == "-P" || w == "--directory-prefix"):
			dir = next()
		case (cmd == "fetch" || cmd == "aria2c") && (w == "-o" || w == "--out"):
			out = next()
		case cmd == "tftp" && (w == "-r" || w == "-l"):
			out = next()
		case url == "" && !strings.HasPrefix(w, "-") && strings.Contains(w, "/"):
			url = w
		}
	}
	if out == "" {
		if gt := strings.LastIndexByte(string(text), '>'); gt >= 0 {
			if ws := words(text[gt+1:]); len(ws) > 0 {
				out = ws[0]
			}
		}
	}
	if out != "" {
		return out
	}
	if url == "" || (cmd == "curl" && !remoteName) {
		return "" // curl without -o/-O writes to standard output
	}
	name := path.Base(strings.SplitN(strings.SplitN(url, "?", 2)[0], "#", 2)[0])
	if name == "" || name == "." || name == "/" || strings.Contains(name, ":") {
		return ""
	}
	if dir != "" {
		return dir + "/" + name
	}
	return name
}

// runsFile reports a segment that runs the file: as the command word, or as the script of a
// shell or interpreter.
func runsFile(s seg, file string) bool {
	base := path.Base(file)
	same := func(w string) bool {
		if w == file || w == "./"+base || (strings.Contains(file, "/") && w == file) {
			return true
		}
		return !strings.Contains(file, "/") && (w == "./"+file || strings.HasSuffix(w, "/"+file))
	}
	c, i := s.cmd()
	if i < 0 {
		return false
	}
	if same(s.words[i]) {
		return true
	}
	if shells[c] || c == "source" || c == "." {
		for _, w := range s.words[i+1:] {
			if strings.HasPrefix(w, "-") {
				continue
			}
			return same(w) || w == base && !strings.Contains(file, "/") || w == file
		}
	}
	return false
}
