package analysis

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Want is an expected finding stated in a fixture: a comment
// `// want: KG302 "tcp_connect"` (or `# want:`) on the line of the finding.
// Several codes may follow one `want:`. A code may name its severity,
// KG302(warning); a want may be for some kernel targets only,
// `// want[debian-5.10 debian-6.1]: ...` (see MatchWantsOn).
type Want struct {
	Line     int // 0-based
	Code     string
	Fragment string // optional message fragment
	Severity Severity
	Targets  []string
}

var wantRe = regexp.MustCompile(`(?://|#|/\*)\s*want(?:\[([^\]]*)\])?:\s*(.*?)(?:\*/)?\s*$`)
var wantItemRe = regexp.MustCompile(`(KG\d{3})(?:\((error|warning|information|hint)\))?(?:\s+"([^"]*)")?`)

var severityNames = map[string]Severity{"error": Error, "warning": Warning, "information": Information, "hint": Hint}

// ParseWants reads the expected findings of a fixture.
func ParseWants(text string) []Want {
	var out []Want
	for i, line := range strings.Split(text, "\n") {
		// A line may hold several want comments (one per target set).
		for _, part := range splitWants(line) {
			m := wantRe.FindStringSubmatch(part)
			if m == nil {
				continue
			}
			targets := strings.FieldsFunc(m[1], func(r rune) bool { return r == ' ' || r == ',' })
			for _, it := range wantItemRe.FindAllStringSubmatch(m[2], -1) {
				out = append(out, Want{Line: i, Code: it[1], Severity: severityNames[it[2]], Fragment: it[3], Targets: targets})
			}
		}
	}
	return out
}

// wantStartRe finds where each want comment of a line starts.
var wantStartRe = regexp.MustCompile(`(?://|#|/\*)\s*want(?:\[[^\]]*\])?:`)

// splitWants cuts a line into its want comments (one per target set).
func splitWants(line string) []string {
	locs := wantStartRe.FindAllStringIndex(line, -1)
	if len(locs) <= 1 {
		return []string{line}
	}
	out := make([]string, len(locs))
	for i, l := range locs {
		end := len(line)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		out[i] = line[l[0]:end]
	}
	return out
}

// MatchWants compares findings with the wants of text and describes every
// difference: a want with no finding, or a finding nobody wanted. Findings
// of severity information and hint are only compared when wanted.
func MatchWants(text string, findings []Finding) []string {
	return MatchWantsOn(text, findings, "")
}

// MatchWantsOn is MatchWants for findings on one kernel target: the
// wants for every target and those naming this one count ("" counts only
// the wants for every target).
func MatchWantsOn(text string, findings []Finding, target string) []string {
	idx := NewLineIndex(text)
	var wants []Want
	for _, w := range ParseWants(text) {
		if len(w.Targets) == 0 || (target != "" && slices.Contains(w.Targets, target)) {
			wants = append(wants, w)
		}
	}
	used := make([]bool, len(findings))
	var problems []string
	for _, w := range wants {
		found := false
		for i, f := range findings {
			if used[i] || f.Code != w.Code || idx.Position(f.Span.Start).Line != w.Line {
				continue
			}
			if w.Fragment != "" && !strings.Contains(f.Message, w.Fragment) {
				continue
			}
			if w.Severity != 0 && f.Severity != w.Severity {
				continue
			}
			used[i] = true
			found = true
			break
		}
		if !found {
			frag := ""
			if w.Fragment != "" {
				frag = fmt.Sprintf(" with %q", w.Fragment)
			}
			sev := ""
			if w.Severity != 0 {
				sev = " (" + w.Severity.String() + ")"
			}
			problems = append(problems, fmt.Sprintf("line %d: want %s%s%s, not reported", w.Line+1, w.Code, sev, frag))
		}
	}
	for i, f := range findings {
		if used[i] || f.Severity == Information || f.Severity == Hint {
			continue
		}
		problems = append(problems, fmt.Sprintf("line %d: unexpected %s %s: %s", idx.Position(f.Span.Start).Line+1, f.Severity, f.Code, f.Message))
	}
	sort.Strings(problems)
	return problems
}
