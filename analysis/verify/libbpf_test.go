package verify

import (
	"context"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
)

func TestRingbufSize(t *testing.T) {
	for _, c := range []struct{ in, want uint32 }{
		{0, 0}, {1, 4096}, {4096, 4096}, {3 * 4096, 4 * 4096}, {100 * 1024, 128 * 1024}, {256 * 1024, 256 * 1024}, {1<<20 + 1, 2 << 20},
	} {
		if got := ringbufSize(c.in, 4096); got != c.want {
			t.Errorf("ringbufSize(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

// lineOf is the span of the first line of text containing s.
func lineOf(t *testing.T, text, s string) (int, int) {
	t.Helper()
	i := strings.Index(text, s)
	if i < 0 {
		t.Fatalf("%q not in the program", s)
	}
	start := strings.LastIndexByte(text[:i], '\n') + 1
	end := i + strings.IndexByte(text[i:], '\n')
	return start, end
}

// A 100 KiB ring buffer is not a power-of-2 number of pages: libbpf
// rounds it up to 128 KiB and the program loads.
func TestRingbufLoadsLikeLibbpf(t *testing.T) {
	v := newVerifier(t)
	src := diffHeader + "struct {\n\t__uint(type, BPF_MAP_TYPE_RINGBUF);\n\t__uint(max_entries, 100 * 1024);\n} rb SEC(\".maps\");\n\nSEC(\"tp/sched/sched_switch\")\nint sw(void *ctx)\n{\n\tu64 *e = bpf_ringbuf_reserve(&rb, 8, 0);\n\tif (!e)\n\t\treturn 0;\n\t*e = 1;\n\tbpf_ringbuf_submit(e, 0);\n\treturn 0;\n}\n"
	r := v.Verify(context.Background(), "ring.bpf.c", src, analysis.DialectC)
	if len(r.Findings) != 0 {
		t.Errorf("findings: %+v", r.Findings)
	}
}

// The verifier gives up on the jump sequence with EFAULT, for which
// cilium/ebpf keeps no log: the reason and its line come from libbpf's.
func TestJumpsTooComplexReason(t *testing.T) {
	v := newVerifier(t)
	src := diffVariants()["verifier-jumps-too-complex"]
	r := v.Verify(context.Background(), "jumps.bpf.c", src, analysis.DialectC)
	if len(r.Findings) != 1 {
		t.Fatalf("findings: %+v", r.Findings)
	}
	f := r.Findings[0]
	if f.Code != analysis.KG523 || !strings.Contains(f.Message, "The sequence of 8193 jumps is too complex") || strings.Contains(f.Message, "LogSizeStart") {
		t.Errorf("message: %s", f.Message)
	}
	if start, end := lineOf(t, src, "if ((void *)(p + 1) > end)"); f.Span.Start < start || f.Span.Start > end {
		t.Errorf("finding at %q, want the loop's bounds check", src[f.Span.Start:f.Span.End])
	}
	if !strings.Contains(r.Log, "The sequence of 8193 jumps is too complex") {
		t.Errorf("the log for -v lacks the verifier's log")
	}
}

// libbpf's USDT support (weak maps, LINUX_HAS_BPF_COOKIE, hidden global
// functions) loads through the verifier.
func TestUSDTLoads(t *testing.T) {
	k := newVerifier(t)
	v := New(Options{KB: k.opts.KB, CacheDir: k.opts.CacheDir, Verbose: true})
	src := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n#include <bpf/usdt.bpf.h>\n\nSEC(\"usdt//usr/bin/python3:python:function__entry\")\nint BPF_USDT(entry, void *file, void *func, int line)\n{\n\tlong a;\n\tbpf_usdt_arg(ctx, 0, &a);\n\tbpf_printk(\"%d %ld %d\", line, a, bpf_usdt_arg_cnt(ctx));\n\treturn 0;\n}\n\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n"
	r := v.Verify(context.Background(), "usdt.bpf.c", src, analysis.DialectC)
	if len(r.Findings) != 0 {
		t.Errorf("findings: %+v\n%s", r.Findings, r.Log)
	}
	if !strings.Contains(r.Log, "program entry (usdt//usr/bin/python3:python:function__entry): accepted") {
		t.Errorf("not loaded:\n%s", r.Log)
	}
	// LINUX_HAS_BPF_COOKIE has this kernel's value (1): the branch that
	// reads it as 0 is dead and a bad access there is not seen.
	bad := strings.Replace(src, "\tlong a;", "\tlong a;\n\tif (!LINUX_HAS_BPF_COOKIE)\n\t\treturn *(volatile int *)0;", 1)
	if r := v.Verify(context.Background(), "usdt.bpf.c", bad, analysis.DialectC); len(r.Findings) != 0 {
		t.Errorf("LINUX_HAS_BPF_COOKIE not resolved: %+v", r.Findings)
	}
	bad = strings.Replace(src, "\tlong a;", "\tlong a;\n\tif (LINUX_HAS_BPF_COOKIE)\n\t\treturn *(volatile int *)0;", 1)
	if r := v.Verify(context.Background(), "usdt.bpf.c", bad, analysis.DialectC); len(r.Findings) != 1 || r.Findings[0].Source != analysis.SourceVerifier || r.Findings[0].Severity != analysis.Error {
		t.Errorf("a bad access under LINUX_HAS_BPF_COOKIE: %+v", r.Findings)
	}
}

// A CO-RE access to a field this kernel lacks is named as libbpf names
// it, on the line of the access, with the kernel.
func TestCOREFailureNamesField(t *testing.T) {
	v := newVerifier(t)
	for _, name := range []string{"core-unguarded", "core-unguarded-direct", "core-subprog-unguarded"} {
		src := diffVariants()[name]
		r := v.Verify(context.Background(), name+".bpf.c", src, analysis.DialectC)
		if len(r.Findings) != 1 {
			t.Errorf("%s: findings: %+v", name, r.Findings)
			continue
		}
		f := r.Findings[0]
		if !strings.Contains(f.Message, "struct task_struct___pre514.state") || !strings.Contains(f.Message, "kernel "+kernelRelease()) ||
			!strings.Contains(f.Message, "has no field state") || strings.Contains(f.Message, "unknown#") {
			t.Errorf("%s: message: %s", name, f.Message)
		}
		if got := src[f.Span.Start:f.Span.End]; got != "state" {
			t.Errorf("%s: finding on %q, want the field's use", name, got)
		}
	}
	src := diffVariants()["core-enum-unguarded"]
	r := v.Verify(context.Background(), "enum.bpf.c", src, analysis.DialectC)
	if len(r.Findings) != 1 || !strings.Contains(r.Findings[0].Message, "KGENT_NOPE") {
		t.Errorf("enum: %+v", r.Findings)
	}
}

// The kernel prints some messages without a newline; the statistics that
// follow are not part of the reason.
func TestGluedLogMessage(t *testing.T) {
	log := []string{"0: R1=ctx() R10=fp0", "3: (85) call bpf_tail_call#12", "expected prog array map for tail callprocessed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0"}
	if got := keySentence(splitLog(log)); got != "expected prog array map for tail call" {
		t.Errorf("key sentence %q", got)
	}
	if got := advice(keySentence(splitLog(log))); strings.Contains(got, "processed") {
		t.Errorf("advice %q", got)
	}
}
