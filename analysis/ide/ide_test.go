package ide

import (
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

func host(t *testing.T) *kb.KB {
	return testenv.HostKB(t, testenv.Tracefs, testenv.BPF)
}

func TestHelperCompletionPrefersAllowed(t *testing.T) {
	k := host(t)
	src := "SEC(\"xdp\")\nint f(struct xdp_md *ctx) {\n\tbpf_get_st"
	items := Complete(src, len(src), analysis.DialectC, k, "0.17")
	var stackid, first int = -1, -1
	for i, it := range items {
		if it.Label == "bpf_get_stackid" {
			stackid = i
		}
		if first < 0 && strings.HasPrefix(it.Label, "bpf_get_st") {
			first = i
		}
	}
	if stackid < 0 {
		t.Fatalf("bpf_get_stackid not offered: %+v", items)
	}
	if !strings.Contains(items[stackid].Detail, "not available in xdp") || stackid == first && len(items) > 1 {
		t.Fatalf("bpf_get_stackid (not allowed in XDP) is not ranked last: %+v", items)
	}
}

func TestSECCompletion(t *testing.T) {
	k := host(t)
	src := "SEC(\"fentry/tcp_v4_con"
	items := Complete(src, len(src), analysis.DialectC, k, "0.17")
	if len(items) == 0 || items[0].Label != "tcp_v4_connect" {
		t.Fatalf("%+v", items)
	}
	src = "SEC(\"kpr"
	items = Complete(src, len(src), analysis.DialectC, k, "0.17")
	if len(items) == 0 || !strings.HasPrefix(items[0].Label, "kprobe") {
		t.Fatalf("%+v", items)
	}
}

func TestHoverKernelFunction(t *testing.T) {
	k := host(t)
	src := "kprobe:tcp_v4_connect { }"
	h, ok := HoverAt(src, 10, analysis.DialectBpftrace, k, "0.17")
	if !ok || !strings.Contains(h.Markdown, "int tcp_v4_connect(struct sock *sk") {
		t.Fatalf("%+v", h)
	}
	src = "struct task_struct *t;"
	h, ok = HoverAt(src, 10, analysis.DialectC, k, "0.17")
	if !ok || !strings.Contains(h.Markdown, "pid_t pid;") {
		t.Fatalf("struct hover %+v", h)
	}
}

func TestHoverField(t *testing.T) {
	k := host(t)
	src := "int f(struct task_struct *task) { return task->tgid; }"
	h, ok := HoverAt(src, strings.Index(src, "tgid")+1, analysis.DialectC, k, "0.17")
	if !ok || !strings.Contains(h.Markdown, "pid_t tgid;") || !strings.Contains(h.Markdown, "offset") {
		t.Fatalf("%+v", h)
	}
}
