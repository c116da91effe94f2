package webshell

import "bytes"

// Kinds of text in a PHP file, one per byte of the file (see phpLex).
const (
	kCode     byte = iota // PHP code
	kSingle               // inside a '...' string: no interpolation
	kDouble               // inside a "..." string or heredoc: variables interpolate
	kBacktick             // inside `...`: a shell command
	kOutside              // HTML or text outside the PHP tags
)

// phpLex returns a copy of raw with PHP comments blanked out (same length, same offsets) and
// the kind of every byte. Text outside <?php ... ?> is kOutside; when the file has no PHP open
// tag at all, everything is read as code.
func phpLex(raw []byte) ([]byte, []byte) {
	code := make([]byte, len(raw))
	copy(code, raw)
	kind := make([]byte, len(raw))
	inPHP := !hasPHPOpen(toLowerHead(raw))
	i := 0
	mark := func(from, to int, k byte) {
		for ; from < to && from < len(kind); from++ {
			kind[from] = k
		}
	}
	blank := func(from, to int) {
		for ; from < to && from < len(code); from++ {
			if code[from] != '\n' {
				code[from] = ' '
			}
		}
	}
	for i < len(raw) {
		if !inPHP {
			j := indexPHPOpen(raw[i:])
			if j < 0 {
				mark(i, len(raw), kOutside)
				break
			}
			mark(i, i+j, kOutside)
			i += j + 2
			inPHP = true
			continue
		}
		c := raw[i]
		switch {
		case c == '?' && i+1 < len(raw) && raw[i+1] == '>':
			inPHP = false
			i += 2
		case c == '\'' || c == '"' || c == '`':
			k := kSingle
			if c == '"' {
				k = kDouble
			} else if c == '`' {
				k = kBacktick
			}
			j := i + 1
			for j < len(raw) && raw[j] != c {
				if raw[j] == '\\' {
					j++
				}
				j++
			}
			mark(i+1, j, k)
			i = j + 1
		case c == '/' && i+1 < len(raw) && raw[i+1] == '*':
			j := bytes.Index(raw[i+2:], []byte("*/"))
			end := len(raw)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			blank(i, end)
			i = end
		case c == '#' && !(i+1 < len(raw) && raw[i+1] == '['), c == '/' && i+1 < len(raw) && raw[i+1] == '/':
			j := i
			for j < len(raw) && raw[j] != '\n' && !(raw[j] == '?' && j+1 < len(raw) && raw[j+1] == '>') {
				j++
			}
			blank(i, j)
			i = j
		case c == '<' && bytes.HasPrefix(raw[i:], []byte("<<<")):
			// heredoc / nowdoc: <<<ID or <<<"ID" or <<<'ID', to a line starting with ID
			j := i + 3
			for j < len(raw) && (raw[j] == ' ' || raw[j] == '"' || raw[j] == '\'') {
				j++
			}
			id := identAt(raw, j)
			if len(id) == 0 {
				i += 3
				continue
			}
			body := j + len(id)
			end := len(raw)
			for k := body; k < len(raw); {
				nl := bytes.IndexByte(raw[k:], '\n')
				if nl < 0 {
					break
				}
				k += nl + 1
				t := k
				for t < len(raw) && (raw[t] == ' ' || raw[t] == '\t') {
					t++
				}
				if bytes.HasPrefix(raw[t:], id) && (t+len(id) >= len(raw) || !isIdent(raw[t+len(id)])) {
					end = t
					break
				}
			}
			mark(body, end, kDouble)
			i = end
		default:
			i++
		}
	}
	return code, kind
}

func toLowerHead(raw []byte) []byte {
	if len(raw) > sniffLen {
		raw = raw[:sniffLen]
	}
	return toLower(raw)
}

// indexPHPOpen finds the next PHP open tag ("<?php", "<?=", or "<?" not followed by "xml").
func indexPHPOpen(b []byte) int {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("<?"))
		if j < 0 {
			return -1
		}
		at := i + j
		rest := b[at+2:]
		if len(rest) >= 3 && (rest[0]|0x20) == 'x' && (rest[1]|0x20) == 'm' && (rest[2]|0x20) == 'l' {
			i = at + 2
			continue
		}
		return at
	}
}
