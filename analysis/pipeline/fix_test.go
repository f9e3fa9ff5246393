package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
)

// FixAll keeps the fixes that leave fewer findings and none new, and
// re-checks after each, so a fix revealed by another is applied too.
func TestFixAll(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	p := New(Config{}, k)
	src := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n" +
		"SEC(\"tracepoint/syscalls/sys_enter_opnat\")\nint p(struct trace_event_raw_sys_enter *ctx) { u64 t = bpf_ktime_get_nss(); return t > 0; }\n"
	fixed, applied, snap, err := p.FixAll(context.Background(), Document{Path: "/tmp/fix.bpf.c", Text: src}, FixOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fixed, "sys_enter_openat") || !strings.Contains(fixed, "bpf_ktime_get_ns()") || len(applied) != 2 {
		t.Fatalf("applied %+v:\n%s", applied, fixed)
	}
	for _, f := range snap.Static {
		if f.Severity == 1 {
			t.Errorf("still an error after fixing: %s %s", f.Code, f.Message)
		}
	}
	// Codes limit what may be applied.
	_, applied, _, _ = p.FixAll(context.Background(), Document{Path: "/tmp/fix.bpf.c", Text: src}, FixOptions{Codes: map[string]bool{"KG304": true}})
	if len(applied) != 1 || applied[0].Code != "KG304" {
		t.Fatalf("only KG304 was allowed: %+v", applied)
	}
	// A text with nothing to fix comes back unchanged.
	if out, applied, _, _ := p.FixAll(context.Background(), Document{Path: "/tmp/ok.bt", Text: "BEGIN { exit(); }\n"}, FixOptions{}); out != "BEGIN { exit(); }\n" || len(applied) != 0 {
		t.Fatalf("%q %+v", out, applied)
	}
}

// better refuses a fix that trades one finding for another.
func TestFixMustNotAddFindings(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	p := New(Config{}, k)
	before, _ := p.Analyze(context.Background(), Document{Path: "a.bt", Text: "BEGIN { @x = cout(); }\n"})
	after, _ := p.Analyze(context.Background(), Document{Path: "a.bt", Text: "BEGIN { @x = count(); @y = nsec; }\n"})
	if better(before.Static, after.Static) {
		t.Fatalf("a new finding is not better: %+v -> %+v", before.Static, after.Static)
	}
	fixed, _ := p.Analyze(context.Background(), Document{Path: "a.bt", Text: "BEGIN { @x = count(); }\n"})
	if !better(before.Static, fixed.Static) {
		t.Fatalf("fewer findings is better: %+v -> %+v", before.Static, fixed.Static)
	}
}
