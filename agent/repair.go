package agent

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kgent/kgent/analysis"
)

// repairable are the codes whose fixes kgent applies on its own: they
// rename to the nearest existing attach point or field, or correct
// syntax the meaning does not depend on. Fixes of other codes (an
// unknown helper renamed to a near one may mean something else) go to
// the model as findings instead.
var repairable = map[string]bool{
	analysis.KG301: true, analysis.KG302: true, analysis.KG304: true, analysis.KG305: true,
	analysis.KG401: true, analysis.KG402: true, analysis.KG405: true, analysis.KG406: true,
	analysis.KG501: true,
}

// repair applies the first fix of every repairable error finding,
// skipping edits that overlap. It returns the new text and one note per
// applied fix.
func repair(code string, fs []analysis.Finding) (string, []string) {
	type edit struct {
		edits []analysis.Edit
		title string
	}
	var todo []edit
	for _, f := range fs {
		if f.Severity != analysis.Error || !repairable[f.Code] || len(f.Fixes) == 0 || len(f.Fixes[0].Edits) == 0 {
			continue
		}
		es := append([]analysis.Edit(nil), f.Fixes[0].Edits...)
		sort.Slice(es, func(i, j int) bool { return es[i].Span.Start > es[j].Span.Start })
		todo = append(todo, edit{es, f.Code + ": " + f.Fixes[0].Title})
	}
	// Findings come first to last; a fix overlapping an accepted one (or
	// out of range) is skipped. Accepted edits apply from the end so
	// earlier offsets stay valid.
	var accepted []analysis.Edit
	var notes []string
	overlaps := func(e analysis.Edit) bool {
		if e.Span.Start < 0 || e.Span.End < e.Span.Start || e.Span.End > len(code) {
			return true
		}
		for _, x := range accepted {
			if e.Span.Start < x.Span.End && x.Span.Start < e.Span.End || e.Span == x.Span {
				return true
			}
		}
		return false
	}
	for _, t := range todo {
		ok := true
		for i, e := range t.edits {
			if overlaps(e) || i > 0 && e.Span.End > t.edits[i-1].Span.Start {
				ok = false
				break
			}
		}
		if ok {
			accepted = append(accepted, t.edits...)
			notes = append(notes, t.title)
		}
	}
	sort.Slice(accepted, func(i, j int) bool { return accepted[i].Span.Start > accepted[j].Span.Start })
	for _, e := range accepted {
		code = code[:e.Span.Start] + e.NewText + code[e.Span.End:]
	}
	return code, notes
}

// maxRepairRounds bounds deterministic repair: a fixed tracepoint can
// reveal a field finding that has a fix of its own.
const maxRepairRounds = 3

// rejection is one choice the checks refused: the code as written and
// why.
type rejection struct {
	Attempt int
	Code    string // finding code
	Text    string // the source text the finding points at
	Message string
}

// memory is the short-term memory of a run: what every attempt tried and
// why it was refused, so feedback can say "you used X again".
type memory struct {
	rejected []rejection
	seen     map[string]bool
}

// record remembers the error findings of attempt n over program.
func (m *memory) record(n int, program string, fs []analysis.Finding) {
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	for _, f := range fs {
		if f.Severity != analysis.Error {
			continue
		}
		text := snippet(program, f.Span)
		key := f.Code + "\x00" + text + "\x00" + f.Message
		if m.seen[key] {
			continue
		}
		m.seen[key] = true
		m.rejected = append(m.rejected, rejection{Attempt: n, Code: f.Code, Text: text, Message: f.Message})
	}
}

// repeated lists earlier rejections whose text program uses again.
func (m *memory) repeated(before int, program string) []rejection {
	var out []rejection
	for _, r := range m.rejected {
		if r.Attempt < before && len(r.Text) >= 3 && strings.Contains(program, r.Text) {
			out = append(out, r)
		}
	}
	return out
}

// snippet is the finding's text in the program, on one line, short.
func snippet(program string, sp analysis.Span) string {
	if sp.Start < 0 || sp.End > len(program) || sp.End <= sp.Start {
		return ""
	}
	s := strings.TrimSpace(program[sp.Start:sp.End])
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

// feedback tells the model exactly what failed in attempt n, what kgent
// already fixed, what earlier attempts were refused for, and which
// refused choice it made again.
func feedback(n int, a Attempt, mem *memory, kernel string) string {
	var b strings.Builder
	if a.Err != "" {
		fmt.Fprintf(&b, "Your reply had no usable program: %s.\n", a.Err)
	} else {
		fmt.Fprintf(&b, "The program does not pass kgent's checks against the target kernel%s:\n", kernel)
		idx := analysis.NewLineIndex(a.Program)
		for _, f := range a.Findings {
			if f.Severity != analysis.Error {
				continue
			}
			p := idx.Position(f.Span.Start)
			fmt.Fprintf(&b, "- line %d: %s %s", p.Line+1, f.Code, f.Message)
			if s := snippet(a.Program, f.Span); s != "" {
				fmt.Fprintf(&b, " (at `%s`)", s)
			}
			b.WriteString("\n")
			for _, note := range f.Notes {
				if len(note) < 300 {
					fmt.Fprintf(&b, "  note: %s\n", note)
				}
			}
		}
		if len(a.Repaired) > 0 {
			fmt.Fprintf(&b, "kgent already applied these fixes to your program (keep them): %s.\n", strings.Join(a.Repaired, "; "))
		}
	}
	if again := mem.repeated(n, a.Program); len(again) > 0 {
		b.WriteString("You repeated choices an earlier attempt was refused for:\n")
		for _, r := range again {
			fmt.Fprintf(&b, "- `%s` (attempt %d: %s)\n", r.Text, r.Attempt, r.Message)
		}
	}
	var earlier []rejection
	for _, r := range mem.rejected {
		if r.Attempt < n {
			earlier = append(earlier, r)
		}
	}
	if len(earlier) > 0 {
		b.WriteString("Refused in earlier attempts (do not use these again):\n")
		for _, r := range earlier {
			if r.Text != "" {
				fmt.Fprintf(&b, "- `%s`: %s %s\n", r.Text, r.Code, r.Message)
			} else {
				fmt.Fprintf(&b, "- %s %s\n", r.Code, r.Message)
			}
		}
	}
	b.WriteString("Fix every finding, keep what already works, and reply with the complete corrected program in one fenced code block.")
	return b.String()
}
