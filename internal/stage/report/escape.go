package report

import (
	"encoding/json"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/nowwhat/nowwhat/internal/base/textsafe"
)

// Visible makes a string from the host safe to show (textsafe.Escape: control characters,
// ESC above all, bytes that are not UTF-8, the characters that reorder or break text become
// visible escapes) and cuts the result to max bytes (0: no cut).
func Visible(s string, max int) string {
	out := textsafe.Escape(s)
	if max <= 0 || len(out) <= max {
		return out
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return out[:cut] + "…"
}

// mdSpecial are the characters Markdown (CommonMark, GitHub's tables) gives a meaning to
// wherever they stand; mdLead are those that matter at the start of a line.
const (
	mdSpecial = "\\`*_[]|~!#"
	mdLead    = "+-=:"
)

// MD escapes a string from the host for Markdown: made Visible first, then every character
// Markdown gives a meaning to is backslash-escaped and the ones HTML does (<, >, &, quotes) are
// written as entities (< > &), so a file name can neither format the report nor smuggle HTML into a
// renderer. Digits, dates and words stay as they are, so the raw text reads well too.
func MD(s string) string {
	s = Visible(s, 0)
	var b strings.Builder
	digits := true // only digits so far: "1. " or "1) " would start an ordered list
	for i, r := range s {
		listMark := digits && i > 0 && (r == '.' || r == ')') && (i+1 == len(s) || s[i+1] == ' ')
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&' && entityAt(s[i:]):
			b.WriteString("&amp;")
		case r < 0x80 && strings.ContainsRune(mdSpecial, r),
			i == 0 && strings.ContainsRune(mdLead, r),
			listMark:
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
		digits = digits && r >= '0' && r <= '9'
	}
	return b.String()
}

// visibleCopy returns a deep copy of the report in which every string is Visible: what the
// Markdown and HTML forms show can carry no control character, whichever field it sits in.
func (r *Report) visibleCopy() *Report {
	data, err := json.Marshal(r)
	if err != nil {
		return r
	}
	var c Report
	if json.Unmarshal(data, &c) != nil {
		return r
	}
	visibleWalk(reflect.ValueOf(&c).Elem())
	return &c
}

func visibleWalk(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(Visible(v.String(), 0))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			visibleWalk(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				visibleWalk(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			visibleWalk(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			if e.Kind() == reflect.String {
				v.SetMapIndex(k, reflect.ValueOf(Visible(e.String(), 0)))
			}
		}
	}
}

// entityAt reports whether s (starting with &) reads as an HTML character reference, which a
// Markdown renderer would decode: "&name;", "&#123;" or "&#x1f;". A lone & is left as it is.
func entityAt(s string) bool {
	for i := 1; i < len(s) && i < 40; i++ {
		c := s[i]
		switch {
		case c == ';':
			return i > 1
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '#' && i == 1:
		default:
			return false
		}
	}
	return false
}
