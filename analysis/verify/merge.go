package verify

import (
	"regexp"
	"slices"

	"github.com/kgent/kgent/analysis"
)

// stackCause matches the compiler's and the verifier's ways of saying the
// 512-byte stack is exceeded.
var stackCause = regexp.MustCompile(`stack limit of 512|combined stack size|stack size of \d+|more than 512 bytes of stack`)

// Merge combines static findings with verification findings so that one
// problem gives one finding; the static finding wins, as it carries the
// fix. A verification finding is dropped when
//   - it is about the stack limit and a static KG505 starts where it or
//     one of its related places starts (clang reports the limit on the
//     function's name, as KG505 does, and on the instructions as related
//     places), or
//   - a static error starts where it starts (bpftrace's "Unknown function:
//     log2" under kgent's KG201).
//
// The result is in analysis.Sort order; neither input is modified.
func Merge(static, verified []analysis.Finding) []analysis.Finding {
	out := make([]analysis.Finding, 0, len(static)+len(verified))
	out = append(out, static...)
	stackAt := map[int]bool{}
	errAt := map[int]bool{}
	for _, f := range static {
		if f.Code == analysis.KG505 {
			stackAt[f.Span.Start] = true
		}
		if f.Severity == analysis.Error {
			errAt[f.Span.Start] = true
		}
	}
	for _, f := range verified {
		if stackCause.MatchString(f.Message) && sameStackProblem(f, stackAt) {
			continue
		}
		if f.Span != (analysis.Span{}) && (errAt[f.Span.Start] || sameFinding(f, static)) {
			standFor(out[:len(static)], f)
			continue
		}
		out = append(out, f)
	}
	return analysis.Sort(out)
}

// sameFinding: a static finding of f's code covers or touches f's span
// or one of the places f relates (clang's "no member named" on the
// member a static KG401 named; the verifier's leak, found at the
// reservation, that a static KG521 reports at the return it leaks on).
func sameFinding(f analysis.Finding, static []analysis.Finding) bool {
	for _, s := range static {
		if s.Code == f.Code && touches(s, f) {
			return true
		}
	}
	return false
}

// touches: the spans of s and f, or those of their related places in
// the same file, overlap or meet.
func touches(s, f analysis.Finding) bool {
	spans := func(x analysis.Finding) []analysis.Span {
		out := []analysis.Span{x.Span}
		for _, r := range x.Related {
			if r.Path == "" {
				out = append(out, r.Span)
			}
		}
		return out
	}
	for _, a := range spans(s) {
		for _, b := range spans(f) {
			if a != (analysis.Span{}) && b != (analysis.Span{}) && a.Start <= b.End && b.Start <= a.End {
				return true
			}
		}
	}
	return false
}

func sameStackProblem(f analysis.Finding, stackAt map[int]bool) bool {
	if stackAt[f.Span.Start] {
		return true
	}
	for _, r := range f.Related {
		if r.Path == "" && stackAt[r.Span.Start] {
			return true
		}
	}
	return false
}

// standFor marks the static error that stands for the dropped
// verification finding f (copied: the input is not modified): it gets the
// lines f's explanation pointed at when it has none of its own, and f's
// words as a note, so that after verification the prediction shows as
// confirmed by the tool ("verifier: rejected by the verifier of
// 5.10.0-32-amd64: ... (on debian-5.10)").
func standFor(static []analysis.Finding, f analysis.Finding) {
	if f.Severity != analysis.Error {
		return
	}
	for i, s := range static {
		if s.Severity != analysis.Error || s.Source == f.Source || !(s.Code == f.Code && touches(s, f)) && (s.Span.Start > f.Span.End || f.Span.Start > s.Span.End) {
			continue
		}
		if len(s.Related) == 0 && len(f.Related) > 0 {
			static[i].Related = append([]analysis.Related(nil), f.Related...)
		}
		if note := f.Source + ": " + f.Message; !slices.Contains(s.Notes, note) {
			static[i].Notes = append(slices.Clip(s.Notes), note)
		}
		return
	}
}
