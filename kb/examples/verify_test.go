package examples

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/internal/testenv"
)

// TestCExamplesLoad compiles every C example with clang and loads every
// program through the kernel verifier (never attached).
func TestCExamplesLoad(t *testing.T) {
	k := testenv.HostKB(t, testenv.BPF, testenv.Clang, testenv.Bpftool, testenv.Headers)
	v := verify.New(verify.Options{KB: k, CacheDir: filepath.Join(os.TempDir(), "kgent-examples-verify")})
	exs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range exs {
		if e.Dialect != "c" {
			continue
		}
		n++
		r := v.Verify(context.Background(), filepath.Join(e.Slug, e.FileName()), e.Source, analysis.DialectC)
		for _, f := range r.Findings {
			if f.Severity == analysis.Error || f.Severity == analysis.Warning {
				t.Errorf("%s: %s %s", e.Slug, f.Code, f.Message)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d C examples", n)
	}
}
