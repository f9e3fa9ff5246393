package analysis

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Want is an expected finding stated in a fixture: a comment
// `// want: KG302 "tcp_connect"` (or `# want:`) on the line of the finding.
// Several codes may follow one `want:`.
type Want struct {
	Line     int // 0-based
	Code     string
	Fragment string // optional message fragment
}

var wantRe = regexp.MustCompile(`(?://|#|/\*)\s*want:\s*(.*?)(?:\*/)?\s*$`)
var wantItemRe = regexp.MustCompile(`(KG\d{3})(?:\s+"([^"]*)")?`)

// ParseWants reads the expected findings of a fixture.
func ParseWants(text string) []Want {
	var out []Want
	for i, line := range strings.Split(text, "\n") {
		m := wantRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		for _, it := range wantItemRe.FindAllStringSubmatch(m[1], -1) {
			out = append(out, Want{Line: i, Code: it[1], Fragment: it[2]})
		}
	}
	return out
}

// MatchWants compares findings with the wants of text and describes every
// difference: a want with no finding, or a finding nobody wanted. Findings
// of severity information and hint are only compared when wanted.
func MatchWants(text string, findings []Finding) []string {
	idx := NewLineIndex(text)
	wants := ParseWants(text)
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
			used[i] = true
			found = true
			break
		}
		if !found {
			frag := ""
			if w.Fragment != "" {
				frag = fmt.Sprintf(" with %q", w.Fragment)
			}
			problems = append(problems, fmt.Sprintf("line %d: want %s%s, not reported", w.Line+1, w.Code, frag))
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
