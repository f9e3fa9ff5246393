package ide

import (
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
)

// TestCompleteContexts: one case per completion context, the cursor at
// the end of src.
func TestCompleteContexts(t *testing.T) {
	k := host(t)
	for _, tc := range []struct {
		name    string
		dialect analysis.Dialect
		src     string
		want    string // a label that must be offered
		kind    string
	}{
		{"SEC categories", analysis.DialectC, `SEC("tp/sch`, "sched", "module"},
		{"SEC tracepoints", analysis.DialectC, `SEC("tp/sched/sched_sw`, "sched_switch", "event"},
		{"SEC kprobe targets", analysis.DialectC, `SEC("kprobe/tcp_v4_con`, "tcp_v4_connect", "function"},
		{"SEC fentry targets", analysis.DialectC, `SEC("fentry/tcp_v4_con`, "tcp_v4_connect", "function"},
		{"SEC prefixes", analysis.DialectC, `SEC("tp_b`, "tp_btf", "module"},
		{"helpers", analysis.DialectC, "SEC(\"xdp\")\nint f(struct xdp_md *c) {\n\tbpf_redir", "bpf_redirect", "function"},
		{"struct members", analysis.DialectC, "int f(struct task_struct *task) {\n\treturn task->tg", "tgid", "field"},
		{"bpftrace kprobe", analysis.DialectBpftrace, "kprobe:tcp_v4_con", "tcp_v4_connect", "function"},
		{"bpftrace kfunc", analysis.DialectBpftrace, "kfunc:tcp_v4_con", "tcp_v4_connect", "function"},
		{"bpftrace tracepoint categories", analysis.DialectBpftrace, "tracepoint:sysc", "syscalls", "module"},
		{"bpftrace tracepoints", analysis.DialectBpftrace, "tracepoint:syscalls:sys_enter_opena", "sys_enter_openat", "event"},
		{"bpftrace args->", analysis.DialectBpftrace, "tracepoint:syscalls:sys_enter_openat {\n\tprintf(\"%s\", str(args->fil", "filename", "field"},
		{"bpftrace args.", analysis.DialectBpftrace, "tracepoint:syscalls:sys_enter_openat {\n\t@[args.fl", "flags", "field"},
		{"bpftrace builtins", analysis.DialectBpftrace, "BEGIN { @x[com", "comm", "variable"},
		{"bpftrace functions", analysis.DialectBpftrace, "BEGIN { @x = cou", "count", "function"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := Complete(tc.src, len(tc.src), tc.dialect, k, "0.17")
			for _, it := range items {
				if it.Label == tc.want {
					if it.Kind != tc.kind {
						t.Fatalf("%s is a %s, want %s", it.Label, it.Kind, tc.kind)
					}
					return
				}
			}
			var labels []string
			for _, it := range items {
				labels = append(labels, it.Label)
			}
			t.Fatalf("%q not offered; got %d: %s", tc.want, len(items), strings.Join(labels[:min(len(labels), 20)], " "))
		})
	}
	// A name that is a builtin and a function is offered once.
	count := 0
	for _, it := range Complete("BEGIN { @x = nsec", 17, analysis.DialectBpftrace, k, "0.17") {
		if it.Label == "nsecs" {
			count++
		}
	}
	if count != 1 {
		t.Fatalf("nsecs offered %d times", count)
	}
	// Kernel functions are tens of thousands: capped, never all.
	if items := Complete(`SEC("kprobe/`, 12, analysis.DialectC, k, "0.17"); len(items) > MaxItems {
		t.Fatalf("%d items", len(items))
	}
	// No kb: no kernel names, no crash.
	if items := Complete(`SEC("tp/sched/`, 14, analysis.DialectC, nil, "0.17"); len(items) != 0 {
		t.Fatalf("without kb: %+v", items)
	}
}
