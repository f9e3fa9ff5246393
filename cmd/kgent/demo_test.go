package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
)

// TestDemoExpectations is `make demo`'s last step under `make test`: every
// mistake planted in testdata/demo is reported as its want comment says,
// and nothing else. Dropping a want comment, or planting one kgent does
// not report, makes the same command fail, so the comparison cannot pass
// by comparing nothing.
func TestDemoExpectations(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Tracefs, testenv.Headers)
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	demo := filepath.Join("..", "..", "testdata", "demo")
	code, out, errs := runCLI(t, "check", "--expect", demo)
	if code != 0 || !strings.Contains(errs, "all findings are the expected ones") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	files, _ := filepath.Glob(filepath.Join(demo, "*"))
	if len(files) < 2 {
		t.Fatalf("demo files: %v", files)
	}
	want := regexp.MustCompile(`(//|#)\s*want: KG\d+[^\n]*`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		wants := want.FindAllStringIndex(text, -1)
		if len(wants) < 3 {
			t.Fatalf("%s plants %d mistakes; the demo shows at least three a file", f, len(wants))
		}
		dir := t.TempDir()
		tmp := filepath.Join(dir, filepath.Base(f))
		// Each want comment dropped in turn: its finding is unexpected.
		for _, w := range wants {
			os.WriteFile(tmp, []byte(text[:w[0]]+text[w[1]:]), 0o644)
			if code, _, errs := runCLI(t, "check", "--expect", tmp); code != 1 || !strings.Contains(errs, "mismatch:") {
				t.Errorf("%s without %q: exit %d\n%s", f, text[w[0]:w[1]], code, errs)
			}
		}
		// A want comment for a finding kgent does not report.
		first := strings.Index(text, "\n")
		os.WriteFile(tmp, []byte(text[:first]+" // want: KG505\n"+text[first+1:]), 0o644)
		if code, _, errs := runCLI(t, "check", "--expect", tmp); code != 1 || !strings.Contains(errs, "KG505") {
			t.Errorf("%s with a want kgent does not report: exit %d\n%s", f, code, errs)
		}
	}
}
