package bpfc

import (
	"runtime"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// A large file is parsed in segments, each by its own parser on its own
// thread: tree-sitter's C parser reads about 5 MB/s on the project's
// machines, so the parse alone of a 1,000-line file took most of the
// analysis budget. A segment is a run of whole top-level items (the text
// is cut only at the start of a line where the previous item has ended),
// parsed as an included range of the full text so that every node keeps
// its document offset. A C translation unit is a sequence of top-level
// items, so the segments' items are the whole file's items; where that
// could fail (a cut inside something the scanner misjudged), a segment
// has a syntax error, and any syntax error sends the file to one parser,
// so broken code gets exactly the whole-file error recovery.

// minSegment is the fewest bytes worth a parser of their own; threads is
// how many parsers may run at once. Tests lower the first and raise the
// second to cut small files.
var (
	minSegment = 8 << 10
	threads    = func() int { return min(runtime.GOMAXPROCS(0), 4) }
)

// segmentCount is how many segments a text of n bytes is cut into.
func segmentCount(n int) int {
	return max(min(threads(), n/minSegment), 1)
}

// cuts returns up to parts-1 offsets at which the text can be cut
// between top-level items, near equal shares of it, in increasing order.
func cuts(text string, parts int) []int {
	if parts < 2 {
		return nil
	}
	cands := cutPoints(text)
	var out []int
	next := 0
	for k := 1; k < parts; k++ {
		want := len(text) * k / parts
		best := -1
		for next < len(cands) {
			c := cands[next]
			if best >= 0 && abs(c-want) > abs(best-want) {
				break
			}
			best = c
			next++
		}
		if best <= 0 || (len(out) > 0 && best <= out[len(out)-1]) || best >= len(text) {
			continue
		}
		out = append(out, best)
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// cutPoints lists the line starts at which a top-level item may begin:
// outside any bracket, comment, literal and preprocessor conditional,
// after a ';', a '}' or a preprocessor line, and where the line starts
// with a letter, '_' or '#'.
func cutPoints(text string) []int {
	var out []int
	depth, cond := 0, 0 // brackets; #if nesting
	last := byte(';')   // the last significant byte outside directives
	lineStart := true
	for i := 0; i < len(text); i++ {
		b := text[i]
		if lineStart {
			lineStart = false
			// Directives and the cut before them.
			j := i
			for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
				j++
			}
			if depth == 0 && cond == 0 && j == i && (last == ';' || last == '}' || last == '#') && startsItem(b) {
				out = append(out, i)
			}
			if j < len(text) && text[j] == '#' {
				end := directiveEnd(text, j)
				switch directiveName(text[j+1 : end]) {
				case "if", "ifdef", "ifndef":
					cond++
				case "endif":
					cond = max(cond-1, 0)
				}
				if depth == 0 {
					last = '#'
				}
				i = end // the newline, or len(text)
				lineStart = true
				continue
			}
		}
		switch b {
		case '\n':
			lineStart = true
		case ' ', '\t', '\r', '\f', '\v':
		case '/':
			if i+1 < len(text) && text[i+1] == '/' {
				for i < len(text) && text[i] != '\n' {
					i++
				}
				lineStart = true
			} else if i+1 < len(text) && text[i+1] == '*' {
				end := strings.Index(text[i+2:], "*/")
				if end < 0 {
					return out
				}
				i += 2 + end + 1
			} else {
				last = b
			}
		case '"', '\'':
			for i++; i < len(text) && text[i] != b && text[i] != '\n'; i++ {
				if text[i] == '\\' {
					i++
				}
			}
			last = b
		case '(', '[', '{':
			depth++
			last = b
		case ')', ']', '}':
			depth = max(depth-1, 0)
			last = b
		default:
			last = b
		}
	}
	return out
}

func startsItem(b byte) bool {
	return b == '_' || b == '#' || (b|0x20 >= 'a' && b|0x20 <= 'z')
}

// directiveEnd is the offset of the newline that ends the directive at
// text[j] ('#'), following backslash continuations, or len(text).
func directiveEnd(text string, j int) int {
	for {
		k := strings.IndexByte(text[j:], '\n')
		if k < 0 {
			return len(text)
		}
		j += k
		e := j
		if e > 0 && text[e-1] == '\r' {
			e--
		}
		if e == 0 || text[e-1] != '\\' {
			return j
		}
		j++
	}
}

// directiveName is the word after '#' in a directive's text.
func directiveName(d string) string {
	i := 0
	for i < len(d) && (d[i] == ' ' || d[i] == '\t') {
		i++
	}
	j := i
	for j < len(d) && isIdentByte(d[j]) {
		j++
	}
	return d[i:j]
}

// pointAt is the tree-sitter row/column (bytes) of offset off of s.
func pointAt(s string, off int) sitter.Point {
	off = min(max(off, 0), len(s))
	row := strings.Count(s[:off], "\n")
	col := off - (strings.LastIndexByte(s[:off], '\n') + 1)
	return sitter.Point{Row: uint(row), Column: uint(col)}
}
