package verify

import (
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
)

// Sentences as the kernel's verifier prints them (kernel/bpf/verifier.c),
// each with the advice it must produce.
func TestAdvice(t *testing.T) {
	for _, c := range []struct{ key, want string }{
		{"R1 invalid mem access 'map_value_or_null'", "map lookup result must be checked for NULL before use (verifier: R1 invalid mem access 'map_value_or_null')"},
		{"R2 invalid mem access 'ringbuf_mem_or_null'", "pointer that may be NULL (ringbuf_mem) must be checked"},
		{"R3 invalid mem access 'scalar'", "bpf_probe_read_kernel()"},
		{"invalid access to packet, off=12 size=2, R1(id=0,off=12,r=0)", "compare data + offset with data_end"},
		{"R1 offset is outside of the packet", "packet access out of bounds"},
		{"back-edge from insn 10 to 4", "cannot prove this loop ends"},
		{"infinite loop detected at insn 4", "cannot prove this loop ends"},
		{"BPF program is too large. Processed 1000001 insn", "too complex"},
		{"invalid read from stack off -16+0 size 8", "uninitialised stack memory"},
		{"invalid indirect read from stack R2 off -8+0 size 8", "uninitialised stack memory"},
		{"R0 !read_ok", "must set a return value"},
		{"R7 !read_ok", "R7 was never written"},
		{"program of this type cannot use helper bpf_get_stackid#27", "helper bpf_get_stackid is not allowed in this program type"},
		{"unknown func bpf_override_return#58", "helper bpf_override_return is not allowed"},
		{"combined stack size of 3 calls is 704. Too large", "512 bytes of stack, counting every nested call"},
		{"invalid write to stack R10 off=-520 size=8", "more than 512 bytes of stack"},
		{"invalid bpf_context access off=0 size=4", "invalid access to the program context"},
		{"dereference of modified ctx ptr R1 off=8 disallowed", "invalid access to the program context"},
		{"cannot call GPL-restricted function from non-GPL compatible program", `SEC("license") = "GPL"`},
		{"Unreleased reference id=2 alloc_insn=7", "submit or discard"},
		{"R1 min value is negative, either use unsigned index or do a if (index >=0) check.", "not bounded"},
		{"R1 type=scalar expected=map_ptr", "R1 is scalar, expected map_ptr"},
		{"something new", "the verifier rejected the program: something new"},
		{"", "the verifier rejected the program"},
	} {
		if got := advice(c.key); !strings.Contains(got, c.want) {
			t.Errorf("advice(%q) = %q, want it to contain %q", c.key, got, c.want)
		}
	}
}

// A verifier log as cilium/ebpf returns it for an unchecked map lookup.
var nullLog = strings.Split(`func#0 @0
0: R1=ctx() R10=fp0
; u32 key = bpf_get_smp_processor_id(); @ null_check.bpf.c:14
0: (85) call bpf_get_smp_processor_id#8       ; R0_w=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
1: (63) *(u32 *)(r10 -4) = r0         ; R0_w=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R10=fp0 fp-8=mmmm????
2: (bf) r2 = r10                      ; R2_w=fp0 R10=fp0
3: (07) r2 += -4                      ; R2_w=fp-4
; u64 *val = bpf_map_lookup_elem(&counts, &key); @ null_check.bpf.c:15
4: (18) r1 = 0xffff8881012d8800       ; R1_w=map_ptr(map=counts,ks=4,vs=8)
6: (85) call bpf_map_lookup_elem#1    ; R0_w=map_value_or_null(id=1,map=counts,ks=4,vs=8)
; *val += 1; // want: KG602 "checked for NULL" @ null_check.bpf.c:16
7: (79) r1 = *(u64 *)(r0 +0)
R0 invalid mem access 'map_value_or_null'
verification time 39 usec
stack depth 4
processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0`, "\n")

func TestLogParsing(t *testing.T) {
	if got := failingInsn(nullLog); got != 7 {
		t.Errorf("failing instruction %d, want 7", got)
	}
	if got := keySentence(nullLog); got != "R0 invalid mem access 'map_value_or_null'" {
		t.Errorf("key sentence %q", got)
	}
	stack := []string{"combined stack size of 3 calls is 704. Too large", "verification time 473 usec", "stack depth 0+304+400", "processed 41 insns (limit 1000000)"}
	if failingInsn(stack) != -1 || keySentence(stack) != stack[0] {
		t.Errorf("stack log: %d %q", failingInsn(stack), keySentence(stack))
	}
	if failingInsn(nil) != -1 || keySentence(nil) != "" {
		t.Error("empty log")
	}
}

// clang's output for a program over the stack limit, a header error and a
// warning, as clang 14 prints them.
func TestClangOutput(t *testing.T) {
	text := "#include \"vmlinux.h\"\n#include \"inc/bad.h\"\n\nint big(void *ctx)\n{\n\tchar buf[600];\n\treturn buf[0];\n}\n\nint other(void *ctx)\n{\n\tint x;\n\treturn x;\n}\n"
	out := `In file included from p.bpf.c:2:
/src/inc/bad.h:3:9: error: use of undeclared identifier 'nope'
        return nope;
               ^
p.bpf.c:13:9: warning: variable 'x' is uninitialized when used here [-Wuninitialized]
        return x;
               ^
p.bpf.c:4:5: error: Looks like the BPF stack limit of 512 bytes is exceeded. Please move large on stack variables into BPF per-cpu array map.
int big(void *ctx)
    ^
p.bpf.c:4:5: note: could not determine the original source location for p.bpf.c:0:0
p.bpf.c:7:9: error: Looks like the BPF stack limit of 512 bytes is exceeded. Please move large on stack variables into BPF per-cpu array map.
        return buf[0];
               ^
3 errors generated.
`
	idx := analysis.NewLineIndex(text)
	fs := clangFindings(out, "p.bpf.c", text, idx, false)
	if len(fs) != 3 {
		t.Fatalf("want 3 findings, got %+v", fs)
	}
	at := func(f analysis.Finding) string { return text[f.Span.Start:f.Span.End] }
	if fs[0].Message != "in included file /src/inc/bad.h:3:9: use of undeclared identifier 'nope'" || at(fs[0]) != `#include "inc/bad.h"` {
		t.Errorf("header error: %q at %q", fs[0].Message, at(fs[0]))
	}
	if fs[1].Severity != analysis.Warning || at(fs[1]) != "x" {
		t.Errorf("warning: %+v", fs[1])
	}
	if at(fs[2]) != "big" || !strings.HasPrefix(fs[2].Message, "looks like the BPF stack limit of 512 bytes is exceeded") || strings.HasSuffix(fs[2].Message, ".") ||
		len(fs[2].Related) != 1 || text[fs[2].Related[0].Span.Start:fs[2].Related[0].Span.End] != "buf" || len(fs[2].Notes) != 1 {
		t.Errorf("stack: %+v", fs[2])
	}
}

// bpftrace 0.17's output, with its RLIMIT_MEMLOCK line.
func TestBpftraceOutput(t *testing.T) {
	text := "kprobe:do_sys_openat2 { printf(\"%d\\n\", arg0, arg1); }\n"
	out := `ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK for bpftrace. If your program is not loading, you can try "ulimit -l 8192" to fix the problem
/tmp/k/w.bt:1:1-22: WARNING: do_sys_openat2 is not traceable (either non-existing, inlined, or marked as "notrace"); attaching to it will likely fail
kprobe:do_sys_openat2 { printf("%d\n", arg0, arg1); }
~~~~~~~~~~~~~~~~~~~~~
/tmp/k/w.bt:1:25-51: ERROR: printf: Too many arguments for format string (2 supplied, 1 expected)
kprobe:do_sys_openat2 { printf("%d\n", arg0, arg1); }
                        ~~~~~~~~~~~~~~~~~~~~~~~~~~
`
	fs := bpftraceFindings(out, "/tmp/k/w.bt", text, true, false)
	if len(fs) != 2 {
		t.Fatalf("%+v", fs)
	}
	if fs[0].Severity != analysis.Warning || text[fs[0].Span.Start:fs[0].Span.End] != "kprobe:do_sys_openat2" {
		t.Errorf("warning: %+v", fs[0])
	}
	if fs[1].Severity != analysis.Error || fs[1].Source != analysis.SourceBpftrace || text[fs[1].Span.Start:fs[1].Span.End] != `printf("%d\n", arg0, arg1)` {
		t.Errorf("error: %+v %q", fs[1], text[fs[1].Span.Start:fs[1].Span.End])
	}
	// Only the memlock line on a successful run: nothing.
	if fs := bpftraceFindings(strings.SplitN(out, "\n", 2)[0], "/tmp/k/w.bt", text, false, false); len(fs) != 0 {
		t.Errorf("memlock line became %+v", fs)
	}
	for in, want := range map[string]Version{"bpftrace v0.17.0\n": {0, 17, 0}, "bpftrace v0.23.2-12-gabc": {0, 23, 2}, "bpftrace 0.21": {0, 21, 0}} {
		if got, ok := ParseBpftraceVersion(in); !ok || got != want {
			t.Errorf("version of %q: %v", in, got)
		}
	}
	if _, ok := ParseBpftraceVersion("no version"); ok {
		t.Error("version from nothing")
	}
}

func TestMerge(t *testing.T) {
	static := []analysis.Finding{analysis.New(analysis.KG505, analysis.Span{Start: 10, End: 20}, "local variables use 600 bytes of stack; BPF programs have 512")}
	clangStack := analysis.New(analysis.KG601, analysis.Span{Start: 10, End: 20}, "looks like the BPF stack limit of 512 bytes is exceeded")
	clangStack.Related = []analysis.Related{{Span: analysis.Span{Start: 40, End: 43}}}
	otherStack := analysis.New(analysis.KG601, analysis.Span{Start: 100, End: 105}, "looks like the BPF stack limit of 512 bytes is exceeded")
	uninit := analysis.New(analysis.KG602, analysis.Span{Start: 50, End: 60}, "reads uninitialised stack memory: initialise the variable (verifier: invalid read from stack off -8+0 size 8)")
	got := Merge(static, []analysis.Finding{clangStack, uninit, otherStack})
	if len(got) != 3 || got[0].Code != analysis.KG505 || got[1].Span.Start != 50 || got[2].Span.Start != 100 {
		t.Fatalf("%+v", got)
	}
	// bpftrace's complaint where kgent already reports the same spot.
	s2 := []analysis.Finding{analysis.New(analysis.KG201, analysis.Span{Start: 5, End: 9}, "unknown function log2")}
	v2 := []analysis.Finding{analysis.New(analysis.KG603, analysis.Span{Start: 5, End: 9}, "unknown function: log2"),
		analysis.New(analysis.KG603, analysis.Span{Start: 20, End: 22}, "other")}
	if got := Merge(s2, v2); len(got) != 2 || got[1].Message != "other" {
		t.Fatalf("%+v", got)
	}
	if got := Merge(nil, nil); len(got) != 0 {
		t.Fatalf("%+v", got)
	}
}
