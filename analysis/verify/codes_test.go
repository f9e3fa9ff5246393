package verify

import (
	"testing"

	"github.com/kgent/kgent/analysis"
)

// Tool messages that name a problem kgent has a code for get that code;
// the others keep the tool's.
func TestSpecificCodes(t *testing.T) {
	for _, tc := range []struct{ source, msg, code, want string }{
		{analysis.SourceClang, "no member named 'pidd' in 'struct task_struct'", analysis.KG601, analysis.KG401},
		{analysis.SourceClang, "member reference type 'struct sock *' is a pointer; did you mean to use '->'?", analysis.KG601, analysis.KG405},
		{analysis.SourceClang, "call to undeclared function 'bpf_probe_read_kernal'; ISO C99 and later do not support implicit function declarations", analysis.KG601, analysis.KG201},
		{analysis.SourceClang, "incomplete definition of type 'struct foo'", analysis.KG601, analysis.KG403},
		{analysis.SourceClang, "too many arguments to function call, expected 3, have 4", analysis.KG601, analysis.KG206},
		{analysis.SourceClang, "expected ';' after expression", analysis.KG601, analysis.KG601},
		{analysis.SourceBpftrace, "Unknown function: log3", analysis.KG603, analysis.KG201},
		{analysis.SourceBpftrace, "Struct/union of type 'struct task_struct' does not contain a field named 'pidd'", analysis.KG603, analysis.KG401},
		{analysis.SourceBpftrace, "syntax error, unexpected }", analysis.KG603, analysis.KG100},
		{analysis.SourceVerifier, "program of this type cannot use helper bpf_probe_read_user#112", analysis.KG602, analysis.KG202},
		{analysis.SourceVerifier, "R1 invalid mem access 'scalar'", analysis.KG602, analysis.KG602},
		// A clang message is not read as a verifier's.
		{analysis.SourceClang, "program of this type cannot use helper bpf_x", analysis.KG601, analysis.KG601},
	} {
		f := analysis.Finding{Code: tc.code, Source: tc.source, Message: tc.msg, Severity: analysis.Error}
		if got := specific(f); got.Code != tc.want || got.Severity != analysis.Error {
			t.Errorf("%s %q: %s (%v), want %s", tc.source, tc.msg, got.Code, got.Severity, tc.want)
		}
	}
	w := specific(analysis.Finding{Code: analysis.KG601, Source: analysis.SourceClang, Message: "incompatible pointer types; too many arguments to function call", Severity: analysis.Warning})
	if w.Severity != analysis.Warning {
		t.Error("a warning stays a warning")
	}
}

// A verification finding of the code a static finding has on the same
// place is the same problem: Merge keeps the static one (it has the fix).
func TestMergeSameCode(t *testing.T) {
	static := []analysis.Finding{{Code: analysis.KG401, Span: analysis.Span{Start: 10, End: 14}, Severity: analysis.Error, Message: "struct task_struct has no field pidd"}}
	verified := []analysis.Finding{
		{Code: analysis.KG401, Span: analysis.Span{Start: 12, End: 12}, Severity: analysis.Error, Source: analysis.SourceClang, Message: "no member named 'pidd'"},
		{Code: analysis.KG401, Span: analysis.Span{Start: 40, End: 44}, Severity: analysis.Error, Source: analysis.SourceClang, Message: "no member named 'x'"},
	}
	out := Merge(static, verified)
	if len(out) != 2 || out[0].Message != static[0].Message || out[1].Span.Start != 40 {
		t.Fatalf("%+v", out)
	}
}

// The verifier's path problems get the codes of the static path checks
// that predict them, so one problem is one finding after verification.
func TestSpecificPathCodes(t *testing.T) {
	for msg, want := range map[string]string{
		"R0 invalid mem access 'map_value_or_null'":                                              analysis.KG520,
		"the map_value from bpf_map_lookup_elem() at line 18 may be NULL: it must be checked":    analysis.KG520,
		"the reference from bpf_ringbuf_reserve() at line 20 leaks on the path through line 24":  analysis.KG521,
		"BPF_EXIT instruction in main prog would lead to reference leak":                         analysis.KG521,
		"dereferences a number as a pointer: read kernel memory with bpf_probe_read_kernel()":    analysis.KG522,
		"the verifier gave up walking the loop at line 14: give the loop a small constant bound": analysis.KG523,
		"back-edge from insn 12 to 4":                                                    analysis.KG523,
		"R1 offset is outside of the packet":                                             analysis.KG524,
		"invalid unbounded variable-offset read from stack R2":                           analysis.KG524,
		"At program exit the register R0 has smin=-1 smax=-1 should have been in [0, 1]": analysis.KG526,
		"invalid bpf_context access off=0 size=4":                                        analysis.KG602,
	} {
		f := analysis.Finding{Code: analysis.KG602, Source: analysis.SourceVerifier, Message: msg, Severity: analysis.Error}
		if got := specific(f); got.Code != want {
			t.Errorf("%q: %s, want %s", msg, got.Code, want)
		}
	}
}

// A static path finding and the verifier's on another line of the same
// problem (the leak's return and its reservation) are one finding.
func TestMergeThroughRelated(t *testing.T) {
	static := []analysis.Finding{{Code: analysis.KG521, Span: analysis.Span{Start: 100, End: 109}, Severity: analysis.Error, Message: "this return leaks the ring buffer reservation e"}}
	v := analysis.Finding{Code: analysis.KG521, Span: analysis.Span{Start: 40, End: 80}, Severity: analysis.Error, Source: analysis.SourceVerifier,
		Message: "the reference from bpf_ringbuf_reserve() at line 20 leaks on the path through line 24",
		Related: []analysis.Related{{Span: analysis.Span{Start: 100, End: 105}, Message: "the path"}}}
	out := Merge(static, []analysis.Finding{v})
	if len(out) != 1 || out[0].Message != static[0].Message || len(out[0].Notes) != 1 {
		t.Fatalf("%+v", out)
	}
	v.Related = nil
	if out := Merge(static, []analysis.Finding{v}); len(out) != 2 {
		t.Fatalf("unrelated places merged: %+v", out)
	}
}
