package ide

import (
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
)

// TestHoverKinds: one case per kind of name, the cursor inside `at`.
func TestHoverKinds(t *testing.T) {
	testenv.Require(t, testenv.Headers)
	k := host(t)
	for _, tc := range []struct {
		name    string
		dialect analysis.Dialect
		src, at string
		want    []string
	}{
		{"helper", analysis.DialectC, "u64 id = bpf_get_current_pid_tgid();", "bpf_get_current_pid_tgid",
			[]string{"helper bpf_get_current_pid_tgid", "u64 bpf_get_current_pid_tgid(void)", "program types: ", "tgid"}},
		{"tracepoint in SEC", analysis.DialectC, `SEC("tp/syscalls/sys_enter_openat")`, "sys_enter_openat",
			[]string{"tracepoint syscalls:sys_enter_openat", "filename", "offset"}},
		{"tracepoint in bpftrace", analysis.DialectBpftrace, "tracepoint:sched:sched_switch { }", "sched_switch",
			[]string{"tracepoint sched:sched_switch", "prev_comm"}},
		{"kfunc", analysis.DialectC, "t = bpf_task_acquire(p);", "bpf_task_acquire", []string{"kfunc bpf_task_acquire", "struct task_struct *"}},
		{"bpftrace function", analysis.DialectBpftrace, "BEGIN { @x = hist(1); }", "hist", []string{"bpftrace function hist"}},
		{"bpftrace builtin", analysis.DialectBpftrace, "BEGIN { @x[comm] = 1; }", "comm", []string{"bpftrace builtin comm"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			off := strings.Index(tc.src, tc.at) + 1
			h, ok := HoverAt(tc.src, off, tc.dialect, k, "0.17")
			if !ok {
				t.Fatal("no hover")
			}
			for _, w := range tc.want {
				if !strings.Contains(h.Markdown, w) {
					t.Fatalf("hover lacks %q:\n%s", w, h.Markdown)
				}
			}
			if got := tc.src[h.Span.Start:h.Span.End]; got != tc.at {
				t.Fatalf("span covers %q", got)
			}
		})
	}
	if _, ok := HoverAt("int counts;", 5, analysis.DialectC, k, "0.17"); ok {
		t.Fatal("hover on a name the kernel does not have")
	}
	if _, ok := HoverAt("\x00\xff\xfe", 1, analysis.DialectC, k, "0.17"); ok {
		t.Fatal("hover on binary")
	}
}
