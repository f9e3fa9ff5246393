package verify

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
)

// explainCase is a program of testdata/explain: rejected by the verifier,
// with the fix elsewhere than the rejected line. Its header says the
// class ("// class: program bug") and a word the advice must use
// ("// advice: bpf_xdp_adjust_head"); each line to change ends with
// "// fix: <the line's fixed text>" (empty: the line goes).
type explainCase struct {
	class, advice string
	fixes         map[int]string // 1-based line -> fixed text
}

var (
	classHdrRe  = regexp.MustCompile(`(?m)^// class: (.+)$`)
	adviceHdrRe = regexp.MustCompile(`(?m)^// advice: (.+)$`)
	fixMarkRe   = regexp.MustCompile(`//\s*fix:(.*)$`)
)

func readExplainCase(t *testing.T, src string) explainCase {
	t.Helper()
	c := explainCase{fixes: map[int]string{}}
	if m := classHdrRe.FindStringSubmatch(src); m != nil {
		c.class = strings.TrimSpace(m[1])
	}
	if m := adviceHdrRe.FindStringSubmatch(src); m != nil {
		c.advice = strings.TrimSpace(m[1])
	}
	for i, l := range strings.Split(src, "\n") {
		if m := fixMarkRe.FindStringSubmatch(l); m != nil && !strings.HasPrefix(l, "//") {
			c.fixes[i+1] = strings.TrimSpace(m[1])
		}
	}
	if c.class == "" || c.advice == "" || len(c.fixes) == 0 {
		t.Fatalf("the case lacks a class, an advice word or a fix line")
	}
	return c
}

// fixed is src with the fix lines replaced.
func (c explainCase) fixed(src string) string {
	ls := strings.Split(src, "\n")
	for n, text := range c.fixes {
		l := ls[n-1]
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		ls[n-1] = indent + text
	}
	return strings.Join(ls, "\n")
}

// TestExplainCorpus verifies each program of testdata/explain for real:
// the verifier rejects it, the finding stays on the rejected line, every
// line the fix changes (other than that one) is among the finding's
// related locations, the class is the expected one and the advice names
// the cause. Then the fixed program loads.
func TestExplainCorpus(t *testing.T) {
	v := newVerifier(t)
	files, err := filepath.Glob("testdata/explain/*.bpf.c")
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			c := readExplainCase(t, src)
			r := v.Verify(context.Background(), path, src, analysis.DialectC)
			var f *analysis.Finding
			for i := range r.Findings {
				if r.Findings[i].Source == analysis.SourceVerifier && r.Findings[i].Severity == analysis.Error {
					f = &r.Findings[i]
					break
				}
			}
			if f == nil {
				t.Fatalf("not rejected: %+v\n%s", r.Findings, r.Log)
			}
			idx := analysis.NewLineIndex(src)
			at := idx.Position(f.Span.Start).Line + 1
			related := map[int]string{}
			for _, rel := range f.Related {
				related[idx.Position(rel.Span.Start).Line+1] = rel.Message
			}
			other := 0
			for line := range c.fixes {
				if line == at {
					continue
				}
				other++
				if _, ok := related[line]; !ok {
					t.Errorf("the fix's line %d is not among the related lines %v (finding at line %d: %s)", line, related, at, f.Message)
				}
			}
			if other > 0 {
				elsewhere++
			} else {
				t.Errorf("the fix is on the rejected line %d only", at)
			}
			if !strings.Contains(strings.Join(f.Notes, "\n"), "class: "+c.class) {
				t.Errorf("class: want %q, notes %q", c.class, f.Notes)
			}
			if !strings.Contains(strings.ToLower(f.Message), strings.ToLower(c.advice)) {
				t.Errorf("advice %q does not name %q", f.Message, c.advice)
			}
			if strings.Contains(f.Message, "processed ") || strings.Contains(f.Message, "verification time") {
				t.Errorf("log debris in the message: %q", f.Message)
			}
			if t.Failed() {
				t.Logf("finding at line %d: %s\nrelated: %v\nlog:\n%s", at, f.Message, related, r.Log)
			}
			fixedSrc := c.fixed(src)
			r2 := v.Verify(context.Background(), path, fixedSrc, analysis.DialectC)
			for _, g := range r2.Findings {
				if g.Severity == analysis.Error {
					t.Errorf("the fixed program does not load: line %d: %s\n%s", analysis.NewLineIndex(fixedSrc).Position(g.Span.Start).Line+1, g.Message, r2.Log)
				}
			}
		})
	}
	t.Logf("%d programs, %d with the fix elsewhere than the rejected line", len(files), elsewhere)
	if len(files) < 30 {
		t.Errorf("%d programs in testdata/explain, want at least 30", len(files))
	}
}
