package verify

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/kgent/kgent/analysis"
)

// A trace as the 6.x verifier prints it: a branch followed at once (the
// target's state on the jump's line), a call whose state part is empty,
// and a resumed branch.
var leakLog = strings.Split(`func#0 @0
0: R1=ctx() R10=fp0
4: (85) call bpf_ringbuf_reserve#131          ; R0=ringbuf_mem_or_null(id=2,ref_obj_id=2,sz=16) refs=2
5: (bf) r6 = r0                       ; R0=ringbuf_mem_or_null(id=2,ref_obj_id=2,sz=16) R6=ringbuf_mem_or_null(id=2,ref_obj_id=2,sz=16) refs=2
6: (15) if r6 == 0x0 goto pc+9        ; R6=ringbuf_mem(ref_obj_id=2,sz=16) refs=2
7: (85) call bpf_get_current_pid_tgid#14      ; R0=scalar() refs=2
8: (77) r0 >>= 32                     ; R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) refs=2
9: (15) if r0 == 0x1 goto pc+6 16: R0=1 R6=ringbuf_mem(ref_obj_id=2,sz=16) R10=fp0 refs=2
16: (b7) r0 = 0                       ; R0=0 refs=2
17: (95) exit
Unreleased reference id=2 alloc_insn=4
BPF_EXIT instruction in main prog would lead to reference leak
processed 19 insns (limit 1000000) max_states_per_insn 1 total_states 2 peak_states 2 mark_read 0`, "\n")

func TestTraceParsing(t *testing.T) {
	path := pathTo(parseTrace(leakLog))
	var insns []int
	for _, s := range path {
		insns = append(insns, s.insn)
	}
	want := []int{4, 5, 6, 7, 8, 9, 16, 17}
	if len(insns) != len(want) {
		t.Fatalf("path %v, want %v", insns, want)
	}
	for i := range want {
		if insns[i] != want[i] {
			t.Fatalf("path %v, want %v", insns, want)
		}
	}
	if got := path[5].text; got != "if r0 == 0x1 goto pc+6" {
		t.Errorf("jump text %q", got)
	}
	if got := path[0].callee(); got != "bpf_ringbuf_reserve" {
		t.Errorf("callee %q", got)
	}
	if st := path[6].before["R6"]; !strings.HasPrefix(st, "ringbuf_mem(ref_obj_id=2") {
		t.Errorf("R6 at 16: %q", st)
	}
	if st := path[1].after["R6"]; stateID(st) != 2 {
		t.Errorf("R6 after 5: %q", st)
	}
	// A resumed branch replaces the state: the path is the walk that
	// reached the failure, not the one logged first.
	resumed := strings.Split(`0: R1=ctx() R10=fp0
0: (b7) r1 = 1                        ; R1=1
1: (15) if r2 == 0x0 goto pc+2        ; R2=scalar()
2: (b7) r0 = 0                        ; R0=0
3: (95) exit
from 1 to 4: R1=1 R2=0 R10=fp0
4: (79) r0 = *(u64 *)(r2 +0)
R2 invalid mem access 'scalar'`, "\n")
	p := pathTo(parseTrace(resumed))
	if len(p) != 3 || p[0].insn != 0 || p[1].insn != 1 || p[2].insn != 4 || p[2].before["R2"] != "0" {
		t.Errorf("resumed path: %+v", p)
	}
}

func TestParseStates(t *testing.T) {
	m := parseStates("R0_w=scalar(smin=0,var_off=(0x0; 0xff)) R6=fp-8 fp-8=mmmm???? refs=2")
	if m["R0"] != "scalar(smin=0,var_off=(0x0; 0xff))" || m["R6"] != "fp-8" || m["fp-8"] != "mmmm????" || len(m) != 3 {
		t.Errorf("states %v", m)
	}
}

// Any log text, however broken, explains to something without a panic.
func TestExplainArbitraryLogs(t *testing.T) {
	ps := &ebpf.ProgramSpec{Name: "p", Type: ebpf.XDP, SectionName: "xdp", Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}}
	text := "SEC(\"xdp\")\nint p(void *ctx)\n{\n\treturn 0;\n}\n"
	idx := analysis.NewLineIndex(text)
	pieces := append(append([]string{}, leakLog...), nullLog...)
	pieces = append(pieces, "from 9 to 4: R1=", "from x to y", "9: (", "12: (0f) r6 += r0 ;", "R6 max value is outside of the allowed memory range",
		"invalid access to packet, off=1 size=2, R1(id=0,off=1,r=0)", "Unreleased reference id=9 alloc_insn=999", "cannot pass map_type 1 into func bpf_tail_call#12",
		"invalid indirect read from stack R2 off -16+0 size 8", "infinite loop detected at insn 1", "dereference of modified ctx ptr R1 off=8 disallowed",
		"(((((", ")))) R1=(", "fp-=", "5: R1=ctx( R2", "")
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		n := r.Intn(30)
		log := make([]string, n)
		for j := range log {
			l := pieces[r.Intn(len(pieces))]
			if r.Intn(4) == 0 && len(l) > 0 {
				l = l[:r.Intn(len(l))]
			}
			log[j] = l
		}
		ex := explain(ps, log, "x.bpf.c", text, idx)
		_ = ex.relatedFor(text, idx, analysis.Span{})
	}
}

// The rejections the issue found advised wrongly, from their traces: a
// number dereferenced after a call that invalidated the pointer is not
// advice to read kernel memory.
func TestExplainInvalidatedNotProbeRead(t *testing.T) {
	log := strings.Split(`0: R1=ctx() R10=fp0
0: (61) r6 = *(u32 *)(r1 +0)          ; R1=ctx() R6=pkt(r=0)
1: (61) r2 = *(u32 *)(r1 +4)          ; R2=pkt_end()
2: (bf) r3 = r6                       ; R3=pkt(r=0) R6=pkt(r=0)
3: (07) r3 += 14                      ; R3=pkt(off=14,r=0)
4: (2d) if r3 > r2 goto pc+6          ; R2=pkt_end() R3=pkt(off=14,r=14)
5: (b7) r2 = -4                       ; R2=-4
6: (85) call bpf_xdp_adjust_head#44   ; R0=scalar()
7: (55) if r0 != 0x0 goto pc+1        ; R0=0
8: (6b) *(u16 *)(r6 +12) = r7
R6 invalid mem access 'scalar'
processed 10 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0`, "\n")
	ps := &ebpf.ProgramSpec{Name: "p", Type: ebpf.XDP, SectionName: "xdp"}
	text := "x\n"
	ex := explain(ps, log, "x.bpf.c", text, analysis.NewLineIndex(text))
	if !strings.Contains(ex.advice, "bpf_xdp_adjust_head") || strings.Contains(ex.advice, "probe_read") || ex.class != ClassBug {
		t.Errorf("explanation %+v", ex)
	}
}
