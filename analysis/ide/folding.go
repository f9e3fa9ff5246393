package ide

import (
	"sort"
	"strings"

	"github.com/kgent/kgent/analysis"
)

// FoldKind says what a folding range folds.
type FoldKind int

// Fold kinds.
const (
	FoldBlock   FoldKind = iota // a { } block: probe, function, struct, map
	FoldComment                 // a /* */ comment over several lines
)

// Fold is a foldable region: Span starts at the opening brace (or
// comment) and ends after the closing one.
type Fold struct {
	Span analysis.Span
	Kind FoldKind
}

// maxFolds bounds the answer for very large documents.
const maxFolds = 5000

// Folds lists the { } blocks and block comments that span several lines,
// in order of their start. Braces inside comments and strings do not
// count; an unbalanced brace is ignored.
func Folds(text string) []Fold {
	m, comments := maskComments(text)
	var out []Fold
	var stack []int
	for i := 0; i < len(m) && len(out) < maxFolds; i++ {
		switch m[i] {
		case '{':
			stack = append(stack, i)
		case '}':
			if len(stack) == 0 {
				continue
			}
			s := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if strings.IndexByte(text[s:i], '\n') >= 0 {
				out = append(out, Fold{Span: analysis.Span{Start: s, End: i + 1}, Kind: FoldBlock})
			}
		}
	}
	for _, c := range comments {
		if len(out) >= maxFolds {
			break
		}
		if strings.IndexByte(text[c.Start:c.End], '\n') >= 0 {
			out = append(out, Fold{Span: c, Kind: FoldComment})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Span.Start != out[j].Span.Start {
			return out[i].Span.Start < out[j].Span.Start
		}
		return out[i].Span.End > out[j].Span.End
	})
	return out
}
