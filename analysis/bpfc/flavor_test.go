package bpfc

import (
	"sort"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
)

// applyFix applies a fix's edits to src (they do not overlap).
func applyFix(src string, fx analysis.Fix) string {
	edits := append([]analysis.Edit(nil), fx.Edits...)
	sort.Slice(edits, func(i, j int) bool { return edits[i].Span.Start > edits[j].Span.Start })
	for _, e := range edits {
		src = src[:e.Span.Start] + e.NewText + src[e.Span.End:]
	}
	return src
}

// TestRenamedFieldFix: task_struct's state on a kernel that has __state
// is an error whose first fix writes the portable idiom; the fixed
// program has no error left on that kernel, and the second field access
// fixed the same way reuses the flavor types instead of defining them
// twice.
func TestRenamedFieldFix(t *testing.T) {
	k := hostKBFor(t)
	ts, ok := k.Type("struct", "task_struct")
	if !ok {
		t.Fatal("no task_struct")
	}
	field, other := "state", "__state"
	if _, ok := k.Member(ts, "state"); ok {
		field, other = "__state", "state"
	}
	src := `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

SEC("tp_btf/sched_switch")
int BPF_PROG(sw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return prev->` + field + ` + BPF_CORE_READ(next, ` + field + `);
}

char LICENSE[] SEC("license") = "GPL";
`
	for round := 0; round < 2; round++ {
		var fix *analysis.Fix
		for _, f := range Check(src, Options{KB: k}) {
			if f.Code == analysis.KG401 && f.Severity == analysis.Error {
				if !strings.Contains(f.Message, "it is "+other+" on this kernel") || len(f.Fixes) != 2 {
					t.Fatalf("round %d: %s with %d fixes", round, f.Message, len(f.Fixes))
				}
				fix = &f.Fixes[0]
				break
			}
		}
		if fix == nil {
			t.Fatalf("round %d: no KG401 error in\n%s", round, src)
		}
		wantEdits := 2
		if round == 1 {
			wantEdits = 1 // the flavors are there already
		}
		if len(fix.Edits) != wantEdits {
			t.Fatalf("round %d: %d edits: %+v", round, len(fix.Edits), fix.Edits)
		}
		src = applyFix(src, *fix)
	}
	for _, want := range []string{"struct task_struct___old {\n\tlong state;\n}", "struct task_struct___new {\n\tunsigned int __state;\n}", "bpf_core_field_exists(((struct task_struct___new *)(prev))->__state)"} {
		if !strings.Contains(src, want) {
			t.Errorf("fixed text lacks %q:\n%s", want, src)
		}
	}
	if strings.Count(src, "struct task_struct___old {") != 1 {
		t.Errorf("flavor defined twice:\n%s", src)
	}
	for _, f := range Check(src, Options{KB: k}) {
		if f.Severity == analysis.Error {
			t.Errorf("after the fixes: %s %s\n%s", f.Code, f.Message, src)
		}
	}
}
