package verify

import (
	"regexp"

	"github.com/kgent/kgent/analysis"
)

// A tool's complaint that one of kgent's static codes names gets that
// code, so a problem has one code whichever found it (and Merge keeps
// one finding of it); the rest keep the tool's own code (KG601 clang,
// KG602 the verifier, KG603 bpftrace).
var toolCodes = []struct {
	source string // analysis.Source* the message comes from
	re     *regexp.Regexp
	code   string
}{
	{analysis.SourceClang, regexp.MustCompile(`no member named '[^']+' in '(struct|union) `), analysis.KG401},
	{analysis.SourceClang, regexp.MustCompile(`member reference type '[^']*\*' is a pointer; (did you mean|maybe you meant) to use '->'`), analysis.KG405},
	{analysis.SourceClang, regexp.MustCompile(`(call to undeclared function|implicit declaration of function) '(bpf_[A-Za-z0-9_]+)'`), analysis.KG201},
	{analysis.SourceClang, regexp.MustCompile(`(incomplete definition of type|variable has incomplete type|unknown type name) '`), analysis.KG403},
	{analysis.SourceClang, regexp.MustCompile(`too (many|few) arguments to function call`), analysis.KG206},
	{analysis.SourceClang, regexp.MustCompile(`BPF stack limit|stack limit of 512`), analysis.KG505},
	{analysis.SourceBpftrace, regexp.MustCompile(`^syntax error`), analysis.KG100},
	{analysis.SourceBpftrace, regexp.MustCompile(`^Unknown (function|identifier)`), analysis.KG201},
	{analysis.SourceBpftrace, regexp.MustCompile(`does not contain a field named|has no field named`), analysis.KG401},
	{analysis.SourceBpftrace, regexp.MustCompile(`[Cc]an't find a field|No such tracepoint argument`), analysis.KG402},
	{analysis.SourceVerifier, regexp.MustCompile(`cannot (call|use) helper|program of this type cannot use helper|unknown func bpf_`), analysis.KG202},
	{analysis.SourceVerifier, regexp.MustCompile(`combined stack size|stack depth .* exceeds|too large stack`), analysis.KG505},
	{analysis.SourceVerifier, regexp.MustCompile(`calling kernel function [^ ]+ is not allowed|kernel function [^ ]+ (is not allowed|args#\d+)`), analysis.KG205},
	// The verifier's path problems the static path checks predict
	// (KG520-KG526): read in the log's words and in the explanation's.
	{analysis.SourceVerifier, regexp.MustCompile(`may be NULL|_or_null'`), analysis.KG520},
	{analysis.SourceVerifier, regexp.MustCompile(`leaks on the path|[Uu]nreleased reference|reference leak|not released on every path`), analysis.KG521},
	{analysis.SourceVerifier, regexp.MustCompile(`dereferences a number as a pointer: read kernel memory`), analysis.KG522},
	{analysis.SourceVerifier, regexp.MustCompile(`gave up walking the loop|back-edge from insn|infinite loop detected`), analysis.KG523},
	{analysis.SourceVerifier, regexp.MustCompile(`packet access reads past|outside of the packet|invalid access to packet|unbounded variable-offset|variable-offset (read|write) from stack`), analysis.KG524},
	{analysis.SourceVerifier, regexp.MustCompile(`At program exit the register R0|R0 .*should have been in`), analysis.KG526},
}

// specific gives f the static code its message names, when one does.
func specific(f analysis.Finding) analysis.Finding {
	for _, tc := range toolCodes {
		if f.Source == tc.source && tc.re.MatchString(f.Message) {
			f.Code = tc.code
			if f.Severity != analysis.Warning {
				f.Severity = analysis.DefaultSeverity(tc.code)
			}
			return f
		}
	}
	return f
}
