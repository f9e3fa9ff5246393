// Package analysis holds what every dialect checker shares: findings, the
// code registry, byte/line/UTF-16 position conversion and dialect detection.
// It never imports protocol types; lsp/ and the CLI convert findings.
package analysis

import "sort"

// Severity of a finding, ordered from worst to mildest.
type Severity int

const (
	Error Severity = iota + 1
	Warning
	Information
	Hint
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	case Information:
		return "information"
	case Hint:
		return "hint"
	}
	return "unknown"
}

// Sources of findings.
const (
	SourceKgent    = "kgent"
	SourceClang    = "clang"
	SourceVerifier = "verifier"
	SourceBpftrace = "bpftrace"
)

// Span is a half-open byte range [Start, End) in a document.
type Span struct {
	Start, End int
}

// Len is the number of bytes the span covers.
func (s Span) Len() int { return s.End - s.Start }

// Shifted is s moved by delta bytes.
func (s Span) Shifted(delta int) Span { return Span{Start: s.Start + delta, End: s.End + delta} }

// Edit replaces the bytes of Span with NewText.
type Edit struct {
	Span    Span
	NewText string
}

// Fix is a titled set of edits that resolves a finding.
type Fix struct {
	Title string
	Edits []Edit
}

// Related points at another place that explains a finding. Path is empty
// for the same document.
type Related struct {
	Path    string
	Span    Span
	Message string
}

// Finding is one problem found in a document.
type Finding struct {
	Span     Span
	Code     string
	Severity Severity
	Source   string
	Message  string
	Notes    []string
	Related  []Related
	Fixes    []Fix
	// Targets are the kernels (target names) the finding applies to when
	// a program is checked against several; nil when against one.
	Targets []string
}

// New makes a finding with the registry's default severity for code and
// source kgent.
func New(code string, span Span, message string) Finding {
	return Finding{Span: span, Code: code, Severity: DefaultSeverity(code), Source: SourceKgent, Message: message}
}

// WithFix returns f with a fix that replaces span with text.
func (f Finding) WithFix(title string, span Span, text string) Finding {
	f.Fixes = append(f.Fixes, Fix{Title: title, Edits: []Edit{{Span: span, NewText: text}}})
	return f
}

// Shifted returns f with every span in the same document (its own, its
// fixes' edits, related places without a path) moved by delta bytes.
func (f Finding) Shifted(delta int) Finding {
	f.Span = f.Span.Shifted(delta)
	if len(f.Fixes) > 0 {
		fixes := make([]Fix, len(f.Fixes))
		for i, fx := range f.Fixes {
			edits := make([]Edit, len(fx.Edits))
			for j, e := range fx.Edits {
				edits[j] = Edit{Span: e.Span.Shifted(delta), NewText: e.NewText}
			}
			fixes[i] = Fix{Title: fx.Title, Edits: edits}
		}
		f.Fixes = fixes
	}
	if len(f.Related) > 0 {
		rel := make([]Related, len(f.Related))
		for i, r := range f.Related {
			if r.Path == "" {
				r.Span = r.Span.Shifted(delta)
			}
			rel[i] = r
		}
		f.Related = rel
	}
	return f
}

// WithSeverity returns f with severity s.
func (f Finding) WithSeverity(s Severity) Finding {
	f.Severity = s
	return f
}

// WithNote returns f with an extra note.
func (f Finding) WithNote(note string) Finding {
	f.Notes = append(f.Notes, note)
	return f
}

// Worst returns the worst severity in fs, or 0 when fs is empty.
func Worst(fs []Finding) Severity {
	var w Severity
	for _, f := range fs {
		if w == 0 || f.Severity < w {
			w = f.Severity
		}
	}
	return w
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool { return Worst(fs) == Error }

// Missing is the finding for a name that does not exist: "<what> does not
// exist; did you mean <nearest>", with the rename as its fix.
func Missing(code string, span Span, what, name string, nearest []string) Finding {
	f := New(code, span, what+" "+name+" does not exist")
	if len(nearest) > 0 {
		f.Message += "; did you mean " + nearest[0]
		f = f.WithFix("Replace with "+nearest[0], span, nearest[0])
	}
	return f
}

// Sort orders findings by position (start, then end), code and message,
// and drops exact duplicates, into a new slice: the one order every front
// shows, so the same text always gives the same list.
func Sort(fs []Finding) []Finding {
	out := append([]Finding(nil), fs...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Span.Start != b.Span.Start:
			return a.Span.Start < b.Span.Start
		case a.Span.End != b.Span.End:
			return a.Span.End < b.Span.End
		case a.Code != b.Code:
			return a.Code < b.Code
		}
		return a.Message < b.Message
	})
	dedup := out[:0]
	for i, f := range out {
		if i > 0 {
			p := out[i-1]
			if p.Span == f.Span && p.Code == f.Code && p.Message == f.Message && p.Source == f.Source {
				continue
			}
		}
		dedup = append(dedup, f)
	}
	return dedup
}
