package loophole

import (
	"path"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/probe/sshd"
)

// Block is one nginx directive, with its block's directives when it opens one.
type Block struct {
	Name     string
	Args     []string
	File     string
	Line     int
	Children []*Block
	// Start is the byte offset of the directive in its file; Open, for a block, the offset
	// just after its "{" (where harden inserts a directive at the block's start).
	Start, Open int
}

// nginx limits.
const (
	confLimit = 4 << 20
	maxFiles  = 256
)

// ParseNginx reads nginx's configuration tokens: directives end with ";" or open a block with
// "{"; "#" starts a comment; quotes group. Bad nesting is tolerated (what was read is kept).
func ParseNginx(data []byte, file string) []*Block {
	var root Block
	stack := []*Block{&root}
	var words []string
	var wordLine, wordStart int
	line := 1
	cur := func() *Block { return stack[len(stack)-1] }
	emit := func(open bool) *Block {
		if len(words) == 0 {
			return nil
		}
		b := &Block{Name: words[0], Args: append([]string{}, words[1:]...), File: file, Line: wordLine, Start: wordStart}
		cur().Children = append(cur().Children, b)
		words = words[:0]
		return b
	}
	s := string(data)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			line++
		case c == ' ' || c == '\t' || c == '\r':
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			line++
		case c == ';':
			emit(false)
		case c == '{':
			if b := emit(true); b != nil && len(stack) < 64 {
				b.Open = i + 1
				stack = append(stack, b)
			}
		case c == '}':
			emit(false)
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if len(words) == 0 {
				wordLine, wordStart = line, i
			}
			words = append(words, s[i+1:min(j, len(s))])
			line += strings.Count(s[i:min(j, len(s))], "\n")
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n;{}#", rune(s[j])) {
				j++
			}
			if len(words) == 0 {
				wordLine, wordStart = line, i
			}
			words = append(words, s[i:j])
			i = j - 1
		}
	}
	return root.Children
}

// LoadNginx reads /etc/nginx/nginx.conf and what it includes (globs relative to /etc/nginx).
func LoadNginx(fsys *hostfs.FS) ([]*Block, []string) {
	var problems []string
	n := 0
	var load func(name string, depth int) []*Block
	load = func(name string, depth int) []*Block {
		if n >= maxFiles || depth > 8 {
			return nil
		}
		n++
		data, err := fsys.ReadFile(name, confLimit)
		if err != nil {
			if !hostfs.IsNotExist(err) {
				problems = append(problems, name+": "+err.Error())
			}
			return nil
		}
		return expand(ParseNginx(data, name), func(pattern string) []*Block {
			if !path.IsAbs(pattern) {
				pattern = catalog.Path("nginx") + pattern
			}
			var out []*Block
			for _, f := range sshd.Glob(fsys, pattern) {
				out = append(out, load(f, depth+1)...)
			}
			return out
		})
	}
	return load("/etc/nginx/nginx.conf", 0), problems
}

// expand replaces include directives by what they include, at every level.
func expand(bs []*Block, include func(string) []*Block) []*Block {
	var out []*Block
	for _, b := range bs {
		if b.Name == "include" && len(b.Args) == 1 {
			out = append(out, include(b.Args[0])...)
			continue
		}
		b.Children = expand(b.Children, include)
		out = append(out, b)
	}
	return out
}

// Each calls fn for every block named name, at any depth.
func Each(bs []*Block, name string, fn func(*Block)) { each(bs, name, fn) }

// each calls fn for every block named name, at any depth.
func each(bs []*Block, name string, fn func(*Block)) {
	for _, b := range bs {
		if b.Name == name {
			fn(b)
		}
		each(b.Children, name, fn)
	}
}

// Child is a block's first directive named name, or nil.
func Child(b *Block, name string) *Block { return child(b, name) }

func child(b *Block, name string) *Block {
	for _, c := range b.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}
