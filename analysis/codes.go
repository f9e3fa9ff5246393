package analysis

import "sort"

// CodeInfo describes one stable finding code. Codes are never reused for
// another meaning; docs/codes.md documents each one (a test keeps the two
// in step).
type CodeInfo struct {
	Code     string
	Severity Severity
	Title    string
}

var registry = map[string]CodeInfo{}

func reg(code string, sev Severity, title string) string {
	registry[code] = CodeInfo{Code: code, Severity: sev, Title: title}
	return code
}

// The registry. Both dialects share codes by meaning.
var (
	KG001 = reg("KG001", Information, "checked against the embedded reference kernel")
	KG100 = reg("KG100", Error, "syntax error")
	KG101 = reg("KG101", Warning, "expression too deeply nested for analysis")
	KG201 = reg("KG201", Error, "unknown helper, function or builtin")
	KG202 = reg("KG202", Error, "not available in this program or probe type")
	KG203 = reg("KG203", Error, "GPL-only helper in a program without a GPL-compatible license")
	KG204 = reg("KG204", Warning, "deprecated helper or construct")
	KG205 = reg("KG205", Error, "unknown or mismatched kfunc")
	KG206 = reg("KG206", Error, "wrong number of arguments")
	KG301 = reg("KG301", Error, "invalid SEC() name or probe type")
	KG302 = reg("KG302", Error, "kernel function not found")
	KG303 = reg("KG303", Warning, "kernel function exists but cannot be traced")
	KG304 = reg("KG304", Error, "tracepoint not found")
	KG305 = reg("KG305", Error, "raw or BTF tracepoint not found")
	KG306 = reg("KG306", Error, "uprobe or USDT binary or symbol not found")
	KG307 = reg("KG307", Error, "wildcard matches nothing")
	KG308 = reg("KG308", Warning, "attach kind unsupported by the target kernel")
	KG401 = reg("KG401", Error, "unknown struct or union field")
	KG402 = reg("KG402", Error, "tracepoint or function argument not found")
	KG403 = reg("KG403", Error, "unknown type")
	KG404 = reg("KG404", Error, "prototype mismatch")
	KG405 = reg("KG405", Error, "'.' used on a pointer where '->' is needed")
	KG406 = reg("KG406", Error, "type mismatch")
	KG407 = reg("KG407", Error, "type already defined by vmlinux.h")
	KG501 = reg("KG501", Error, "missing or invalid license")
	KG502 = reg("KG502", Error, "invalid map definition")
	KG503 = reg("KG503", Warning, "unsafe builtin")
	KG504 = reg("KG504", Error, "printf format and arguments do not match")
	KG505 = reg("KG505", Error, "stack use over 512 bytes")
	KG506 = reg("KG506", Error, "included header cannot be used")
	KG507 = reg("KG507", Error, "aggregation misuse")
	KG508 = reg("KG508", Error, "map read but never assigned")
	KG509 = reg("KG509", Error, "variable not declared where it is used")
	KG520 = reg("KG520", Error, "pointer that may be NULL used without a check")
	KG521 = reg("KG521", Error, "ring buffer reservation not released on every path")
	KG522 = reg("KG522", Error, "kernel pointer dereferenced where only probe reads may read kernel memory")
	KG523 = reg("KG523", Error, "loop without a bound the verifier can see")
	KG524 = reg("KG524", Error, "packet or stack access at an offset nothing bounds")
	KG525 = reg("KG525", Error, "write to a read-only context")
	KG526 = reg("KG526", Error, "return value the program type does not allow")
	KG601 = reg("KG601", Error, "compile error")
	KG602 = reg("KG602", Error, "verifier rejection")
	KG603 = reg("KG603", Error, "error reported by bpftrace")
	KG604 = reg("KG604", Information, "verification unavailable")
)

// Code returns the registry entry for code.
func Code(code string) (CodeInfo, bool) {
	c, ok := registry[code]
	return c, ok
}

// Codes lists the registry in code order.
func Codes() []CodeInfo {
	out := make([]CodeInfo, 0, len(registry))
	for _, c := range registry {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// DefaultSeverity is the severity of code when a checker does not choose.
func DefaultSeverity(code string) Severity {
	if c, ok := registry[code]; ok {
		return c.Severity
	}
	return Error
}

// DocURL links a code to its documentation.
func DocURL(code string) string {
	return "https://github.com/kgent/kgent/blob/main/docs/codes.md#" + lower(code)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
