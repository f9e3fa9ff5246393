package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
)

// kgent bench runs its comparisons end to end (one round each: the
// figures themselves are for people, never asserted).
func TestBenchRuns(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Bpftrace, testenv.Clang, testenv.Bpftool, testenv.BPF)
	testenv.Short(t, "builds the binary")
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	bin := filepath.Join(t.TempDir(), "kgent")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	code, out, errs := runCLI(t, "bench", "check", "--rounds", "1", "--server", bin)
	for _, want := range []string{"kgent check .bt", "bpftrace --emit-elf / kgent check .bt:", "kgent check .bpf.c", "clang -fsyntax-only / kgent check .bpf.c:"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("bench check: exit %d, no %q\n%s%s", code, want, out, errs)
		}
	}
	if !regexp.MustCompile(`kgent check \d+ files +\d`).MatchString(out) || strings.Contains(out, "failed") {
		t.Fatalf("bench check:\n%s", out)
	}
	code, out, errs = runCLI(t, "bench", "mcp", "--calls", "2", "--server", bin)
	if code != 0 || strings.Count(out, "round trip p50") != 2 {
		t.Fatalf("bench mcp: exit %d\n%s%s", code, out, errs)
	}
}
