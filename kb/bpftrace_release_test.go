package kb_test

import (
	"path/filepath"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// The release of a given bpftrace binary, not the one on PATH: each
// private prefix scripts/bpftrace-releases.sh makes reports its own
// release, through the wrapper that runs it with its own loader.
func TestBpftraceBinaryVersion(t *testing.T) {
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	for _, full := range testenv.BpftraceReleases {
		p := testenv.BpftraceRelease(t, full)
		got, err := kb.BpftraceBinaryVersion(p)
		if err != nil || got != kb.BpftraceMajorMinor(full) || !kb.BpftraceKnown(got) {
			t.Errorf("BpftraceBinaryVersion(%s) = %q, %v; want %s", p, got, err, kb.BpftraceMajorMinor(full))
		}
		if spec := kb.BpftraceSpec(got); spec.Version != kb.BpftraceMajorMinor(full) {
			t.Errorf("%s: spec %s", full, spec.Version)
		}
	}
	if _, err := kb.BpftraceBinaryVersion(filepath.Join(t.TempDir(), "no-bpftrace")); err == nil {
		t.Error("a missing binary has a version")
	}
}
