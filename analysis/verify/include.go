package verify

import (
	"fmt"
	"regexp"
	"strings"
)

// includeNameRe is an include name an untrusted bpftrace script may use:
// relative, of plain path characters.
var includeNameRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_./+-]*$`)

// includeProblem finds the first file inclusion in text that is not
// "#include <name>" or "#include "name"" with name relative, without
// "..", of plain characters: what an untrusted bpftrace script may not
// do, since bpftrace reads included files as root. It returns the
// directive's offset in text and why, or "" when there is none.
//
// It errs on refusing: any '#' (or the digraph "%:", or the trigraph
// "??=") followed by include, include_next or import counts, wherever it
// stands (a string literal too), after joining backslash line
// continuations and removing comments as the preprocessor does (a
// comment between '#' and include is a blank). A computed include (#include MACRO)
// is refused, as its file cannot be known here.
func includeProblem(text string) (at int, why string) {
	// Map each byte of the joined text back to text.
	joined, back := spliced(strings.ReplaceAll(strings.ReplaceAll(text, "??=", "#  "), "??/", "\\  "))
	plain := withoutComments(joined, back)
	if at, why := scanIncludes(plain.s); why != "" {
		return plain.back[at], why
	}
	return 0, ""
}

// spliced joins backslash-newline continuations; back maps offsets of the
// result to text (one extra entry for the end).
func spliced(text string) (string, []int) {
	var b strings.Builder
	back := make([]int, 0, len(text)+1)
	for i := 0; i < len(text); i++ {
		if text[i] == '\\' {
			j := i + 1
			for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r') {
				j++ // clang accepts blanks between the backslash and the newline
			}
			if j < len(text) && text[j] == '\n' {
				i = j
				continue
			}
		}
		b.WriteByte(text[i])
		back = append(back, i)
	}
	back = append(back, len(text))
	return b.String(), back
}

// withoutComments is s with each comment replaced by one space, string
// and character literals kept; back is mapped along.
func withoutComments(s string, back []int) struct {
	s    string
	back []int
} {
	var b strings.Builder
	nb := make([]int, 0, len(back))
	for i := 0; i < len(s); {
		switch {
		case s[i] == '"' || s[i] == '\'':
			q := s[i]
			j := i + 1
			for j < len(s) && s[j] != q && s[j] != '\n' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			b.WriteString(s[i:j])
			nb = append(nb, back[i:j]...)
			i = j
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			j := len(s)
			if end >= 0 {
				j = i + 2 + end + 2
			}
			b.WriteByte(' ')
			nb = append(nb, back[i])
			i = j
		case strings.HasPrefix(s[i:], "//"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				j = len(s) - i
			}
			b.WriteByte(' ')
			nb = append(nb, back[i])
			i += j
		default:
			b.WriteByte(s[i])
			nb = append(nb, back[i])
			i++
		}
	}
	nb = append(nb, back[len(s)])
	return struct {
		s    string
		back []int
	}{b.String(), nb}
}

// scanIncludes checks every inclusion directive in s.
func scanIncludes(s string) (int, string) {
	for i := 0; i < len(s); i++ {
		var rest string
		switch {
		case s[i] == '#':
			rest = s[i+1:]
		case strings.HasPrefix(s[i:], "%:"):
			rest = s[i+2:]
		default:
			continue
		}
		rest = strings.TrimLeft(rest, " \t\v\f")
		var kw string
		for _, k := range []string{"include_next", "include", "import"} {
			if strings.HasPrefix(rest, k) {
				kw = k
				break
			}
		}
		if kw == "" {
			continue
		}
		after := rest[len(kw):]
		if after != "" && isIdent(after[0]) {
			continue // #includes_x: not a directive
		}
		line := after
		if j := strings.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		op := strings.TrimSpace(line)
		if j := strings.Index(op, "//"); j >= 0 {
			op = strings.TrimSpace(op[:j])
		}
		var name string
		switch {
		case len(op) >= 2 && op[0] == '"' && op[len(op)-1] == '"' && strings.Count(op, `"`) == 2:
			name = op[1 : len(op)-1]
		case len(op) >= 2 && op[0] == '<' && op[len(op)-1] == '>' && strings.Count(op, ">") == 1:
			name = op[1 : len(op)-1]
		default:
			return i, fmt.Sprintf("#%s %s is not a plain header name", kw, shorten(op))
		}
		if !includeNameRe.MatchString(name) {
			return i, fmt.Sprintf("#%s names %s, not a relative header name", kw, shorten(name))
		}
		for _, part := range strings.Split(name, "/") {
			if part == ".." {
				return i, fmt.Sprintf("#%s names %s, which leaves the include directories", kw, shorten(name))
			}
		}
	}
	return 0, ""
}

func shorten(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%q...", s[:60])
	}
	return fmt.Sprintf("%q", s)
}
