package bpftrace

import (
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

func hostKBFor(t testing.TB) *kb.KB {
	t.Helper()
	return testenv.HostKB(t, testenv.Tracefs)
}

// TestFixtures runs every testdata/*.bt and compares the findings with
// its `// want:` comments, both ways.
func TestFixtures(t *testing.T) {
	k := hostKBFor(t)
	testenv.Fixtures(t, "testdata/*.bt", 5, func(t *testing.T, path, src string) []analysis.Finding {
		version := "0.17"
		if i := strings.Index(src, "// version: "); i >= 0 {
			version = strings.Fields(src[i+len("// version: "):])[0]
		}
		return Check(src, Options{KB: k, Version: version})
	})
}

func TestParseNeverLoses(t *testing.T) {
	src := "BEGIN { printf(\"hi\\n\") }\nkprobe:foo { @x = count( }\nEND { exit(); }\n"
	f, errs := Parse(src)
	if len(f.Probes) != 3 {
		t.Fatalf("probes %d, want 3 (recovery after the error)", len(f.Probes))
	}
	if len(errs) != 1 {
		t.Fatalf("errors %v, want exactly one", errs)
	}
	if !strings.Contains(errs[0].Message, "expected") {
		t.Errorf("message %q", errs[0].Message)
	}
}
