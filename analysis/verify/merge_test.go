package verify

import (
	"context"
	"os"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/internal/testenv"
)

// TestMergeWithStaticChecks merges the real static findings with the real
// compiler's and bpftrace's on the same problem: one finding each, the
// static one with its fix.
func TestMergeWithStaticChecks(t *testing.T) {
	v := newVerifier(t)
	testenv.Require(t, testenv.Bpftrace)
	for _, c := range []struct {
		path string
		code string // the one static finding that must remain
	}{
		{"testdata/stack.bpf.c", analysis.KG505},
		{"testdata/semantic.bt", analysis.KG201},
	} {
		data, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		static, err := check.File(c.path, text, check.Options{KB: v.opts.KB})
		if err != nil {
			t.Fatal(err)
		}
		r := v.Verify(context.Background(), c.path, text, analysis.Detect(c.path, text))
		if len(r.Findings) == 0 {
			t.Fatalf("%s: the tool reported nothing", c.path)
		}
		var errs []analysis.Finding
		for _, f := range Merge(static, r.Findings) {
			if f.Severity == analysis.Error {
				errs = append(errs, f)
			}
		}
		if len(errs) != 1 || errs[0].Code != c.code || errs[0].Source != analysis.SourceKgent {
			t.Errorf("%s: want only the static %s, got %+v\n(static %+v, verified %+v)", c.path, c.code, errs, static, r.Findings)
		}
	}
}

// A static finding that stands for a verifier rejection gets the lines
// the rejection's explanation pointed at; the inputs stay as they were.
func TestMergeKeepsRelated(t *testing.T) {
	static := []analysis.Finding{analysis.New(analysis.KG202, analysis.Span{Start: 100, End: 120}, "helper not available")}
	v := analysis.New(analysis.KG202, analysis.Span{Start: 100, End: 130}, "not allowed")
	v.Source = analysis.SourceVerifier
	v.Related = []analysis.Related{{Span: analysis.Span{Start: 10, End: 20}, Message: "the program's type is chosen here"}}
	out := Merge(static, []analysis.Finding{v})
	if len(out) != 1 || out[0].Source != analysis.SourceKgent || len(out[0].Related) != 1 || out[0].Related[0].Span.Start != 10 {
		t.Fatalf("merged %+v", out)
	}
	if len(static[0].Related) != 0 {
		t.Error("Merge modified its input")
	}
}

// A verifier's rejection that a static error stands for is dropped, and
// the static finding says the tool confirmed it, in the tool's words.
func TestMergeNotesTheConfirmation(t *testing.T) {
	static := []analysis.Finding{analysis.New(analysis.KG201, analysis.Span{Start: 10, End: 18}, "unknown helper bpf_loop (on debian-5.10)")}
	v := analysis.New(analysis.KG602, analysis.Span{Start: 10, End: 30}, "rejected by the verifier of 5.10.0-32-amd64: unknown func bpf_loop#181 (on debian-5.10)")
	v.Source = analysis.SourceVerifier
	out := Merge(static, []analysis.Finding{v, v})
	if len(out) != 1 || len(out[0].Notes) != 1 || out[0].Notes[0] != "verifier: "+v.Message {
		t.Fatalf("%+v", out)
	}
	if len(static[0].Notes) != 0 {
		t.Error("the input was modified")
	}
}
