package pipeline

import (
	"context"
	"sort"

	"github.com/kgent/kgent/analysis"
)

// FixOptions choose which fixes FixAll may apply.
type FixOptions struct {
	// Codes, when set, limits fixes to findings of these codes.
	Codes map[string]bool
	// Max bounds the fixes applied (each is followed by a whole re-check;
	// a fixed tracepoint can reveal a field finding with a fix of its
	// own); default 64.
	Max int
}

// Applied is one fix FixAll kept.
type Applied struct {
	Code  string
	Title string
	// Line is the 0-based line of the finding in the text it was found in.
	Line int
}

// FixAll applies the fixes that help, as clang-tidy --fix and ruff --fix
// do: one at a time, the first fix of each error or warning finding, kept
// only when the text re-checks with fewer findings and none it did not
// have (by code and message), until a pass keeps none. It returns the
// text, what it applied in order, and the snapshot of the text.
func (p *Pipeline) FixAll(ctx context.Context, doc Document, o FixOptions) (string, []Applied, *Snapshot, error) {
	if o.Max <= 0 {
		o.Max = 64
	}
	doc.Parsed, doc.Lines = nil, nil // the text changes under it
	snap, err := p.Analyze(ctx, doc)
	if err != nil || snap.NotChecked != nil {
		return doc.Text, nil, snap, err
	}
	var applied []Applied
	for len(applied) < o.Max {
		kept := false
		for _, f := range snap.Static {
			if f.Severity > analysis.Warning || len(f.Fixes) == 0 || o.Codes != nil && !o.Codes[f.Code] {
				continue
			}
			// The finding's fixes in order (the portable one, then the
			// one for this kernel only): the first that helps is kept.
			for _, fx := range f.Fixes {
				text, ok := applyEdits(snap.Text, fx.Edits)
				if !ok || text == snap.Text {
					continue
				}
				next := doc
				next.Text = text
				after, err := p.Analyze(ctx, next)
				if err != nil {
					return snap.Text, applied, snap, err
				}
				if after.NotChecked != nil || !better(snap.Static, after.Static) {
					continue
				}
				applied = append(applied, Applied{Code: f.Code, Title: fx.Title, Line: snap.Lines().Position(f.Span.Start).Line})
				snap, kept = after, true
				break
			}
			if kept {
				break // the other findings' spans are of the old text
			}
		}
		if !kept {
			break
		}
	}
	return snap.Text, applied, snap, nil
}

// better: after has fewer findings than before, and none of a code and
// message before did not have.
func better(before, after []analysis.Finding) bool {
	if len(after) >= len(before) {
		return false
	}
	had := map[string]int{}
	for _, f := range before {
		had[f.Code+"\x00"+f.Message]++
	}
	for _, f := range after {
		k := f.Code + "\x00" + f.Message
		if had[k] == 0 {
			return false
		}
		had[k]--
	}
	return true
}

// applyEdits applies a fix's edits to text; false when they are out of
// range or overlap.
func applyEdits(text string, edits []analysis.Edit) (string, bool) {
	es := append([]analysis.Edit(nil), edits...)
	sort.Slice(es, func(i, j int) bool { return es[i].Span.Start > es[j].Span.Start })
	end := len(text)
	for _, e := range es {
		if e.Span.Start < 0 || e.Span.End < e.Span.Start || e.Span.End > end {
			return text, false
		}
		text = text[:e.Span.Start] + e.NewText + text[e.Span.End:]
		end = e.Span.Start
	}
	return text, true
}
