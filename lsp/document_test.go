package lsp

import (
	"testing"

	"github.com/kgent/kgent/analysis"
)

func TestShiftFindings(t *testing.T) {
	f := func(start, end int) analysis.Finding {
		return analysis.Finding{Code: "KG602", Span: analysis.Span{Start: start, End: end},
			Fixes: []analysis.Fix{{Title: "x", Edits: []analysis.Edit{{Span: analysis.Span{Start: start, End: end}, NewText: "y"}}}}}
	}
	for _, tc := range []struct {
		name                  string
		in                    analysis.Finding
		start, oldEnd, newLen int
		want                  *analysis.Span
	}{
		{"edit after", f(10, 20), 30, 35, 0, &analysis.Span{Start: 10, End: 20}},
		{"insert before", f(10, 20), 0, 0, 5, &analysis.Span{Start: 15, End: 25}},
		{"delete before", f(10, 20), 2, 6, 0, &analysis.Span{Start: 6, End: 16}},
		{"insert at the start", f(10, 20), 10, 10, 3, &analysis.Span{Start: 13, End: 23}},
		{"insert at the end", f(10, 20), 20, 20, 3, &analysis.Span{Start: 10, End: 20}},
		{"edit inside", f(10, 20), 12, 14, 1, nil},
		{"edit overlapping", f(10, 20), 5, 11, 0, nil},
		{"file-level finding, insert at 0", f(0, 0), 0, 0, 4, &analysis.Span{Start: 0, End: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := shiftFindings([]analysis.Finding{tc.in}, tc.start, tc.oldEnd, tc.newLen)
			if tc.want == nil {
				if len(out) != 0 {
					t.Fatalf("kept %+v", out)
				}
				return
			}
			if len(out) != 1 || out[0].Span != *tc.want || out[0].Fixes[0].Edits[0].Span != *tc.want {
				t.Fatalf("got %+v, want span %v", out, *tc.want)
			}
			if tc.in.Span == *tc.want && &out[0] == &tc.in {
				t.Fatal("aliased")
			}
		})
	}
}
