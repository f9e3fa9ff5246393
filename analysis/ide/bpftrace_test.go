package ide

import (
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/bpftrace"
	"github.com/kgent/kgent/kb"
)

// TestBpftraceFacts: hover and completion follow the installed bpftrace's
// facts (kb.BpftraceSpec): probe types with what they provide, builtins
// a probe type lacks.
func TestBpftraceFacts(t *testing.T) {
	k := host(t)
	spec := kb.BpftraceSpec(bpftrace.InstalledVersion())
	src := "kretprobe:tcp_v4_connect\n{\n\t@[retval] = count();\n}\nkprobe:tcp_v4_connect\n{\n\t@[retval] = count();\n}\n"
	h, ok := HoverAt(src, 2, analysis.DialectBpftrace, k, "0.17")
	if !ok || !strings.Contains(h.Markdown, "bpftrace probe kretprobe") || !strings.Contains(h.Markdown, "retval") || !strings.Contains(h.Markdown, spec.Version) {
		t.Fatalf("probe type hover %+v", h)
	}
	first := strings.Index(src, "retval") + 1
	h, ok = HoverAt(src, first, analysis.DialectBpftrace, k, "0.17")
	if !ok || !strings.Contains(h.Markdown, "bpftrace builtin retval") || strings.Contains(h.Markdown, "not available") {
		t.Fatalf("retval in kretprobe %+v", h)
	}
	second := strings.LastIndex(src, "retval") + 1
	h, ok = HoverAt(src, second, analysis.DialectBpftrace, k, "0.17")
	if !ok || !strings.Contains(h.Markdown, "not available in kprobe probes") {
		t.Fatalf("retval in kprobe %+v", h)
	}
	h, ok = HoverAt("BEGIN { @x = hist(1); }", 14, analysis.DialectBpftrace, k, "0.17")
	if !ok || !strings.Contains(h.Markdown, "argument") || !strings.Contains(h.Markdown, "aggregation") {
		t.Fatalf("hist %+v", h)
	}

	items := Complete("kpr", 3, analysis.DialectBpftrace, k, "0.17")
	if len(items) == 0 || items[0].Label != "kprobe" || items[0].Kind != "keyword" || !strings.Contains(items[0].Detail, "kprobe:FUNCTION") {
		t.Fatalf("probe types %+v", items)
	}
	in := "kprobe:tcp_v4_connect\n{\n\t@[ret"
	items = Complete(in, len(in), analysis.DialectBpftrace, k, "0.17")
	var retval *Item
	for i := range items {
		if items[i].Label == "retval" {
			retval = &items[i]
		}
	}
	if retval == nil || !strings.Contains(retval.Detail, "not available in kprobe") || items[len(items)-1].Label != "retval" {
		t.Fatalf("retval in a kprobe: %+v", items)
	}
}
