package bpftrace

import (
	"fmt"
	"github.com/kgent/kgent/kb"
	"sort"
)

// NameInfo is a bpftrace builtin or function, for completion.
type NameInfo struct {
	Name   string
	Kind   string // "function" or "variable"
	Detail string
}

func arity(f kb.BTFunc) string {
	switch {
	case f.Max < 0:
		return fmt.Sprintf("%d or more arguments", f.Min)
	case f.Min == f.Max:
		return fmt.Sprintf("%d argument(s)", f.Min)
	}
	return fmt.Sprintf("%d to %d arguments", f.Min, f.Max)
}

func fnDetail(name string, f kb.BTFunc) string {
	d := arity(f)
	if full, ok := kb.BpftraceSpec("").Function(name); ok && full.Desc != "" {
		d = full.Desc + "; " + d
	}
	if f.Agg {
		d = "aggregation, " + d
	}
	if f.Unsafe {
		d += ", unsafe (needs --unsafe)"
	}
	if f.Since != "" {
		d += ", bpftrace " + f.Since + "+"
	}
	return d
}

// Names lists builtins and functions of every release; a builtin that
// newer releases also let be called (comm()) is listed as a variable.
func Names() []NameInfo {
	var out []NameInfo
	for n, f := range kb.BpftraceFunctions {
		if _, builtin := kb.BpftraceBuiltins[n]; builtin {
			continue
		}
		out = append(out, NameInfo{Name: n, Kind: "function", Detail: fnDetail(n, f)})
	}
	for n, since := range kb.BpftraceBuiltins {
		d := "builtin variable"
		if desc := kb.BuiltinDesc(n); desc != "" {
			d = desc
		}
		if since != "" {
			d += ", bpftrace " + since + "+"
		}
		out = append(out, NameInfo{Name: n, Kind: "variable", Detail: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Describe is hover text for a builtin or function as the newest known
// release has it ("" when unknown).
func Describe(name string) string { return DescribeAt("", name) }

// DescribeAt is hover text for a builtin or function as release version
// has it ("" for the newest): signature, meaning, the release that added
// it and changes of meaning up to that release; for a name the release
// lacks, the release that has it; for a name borrowed from another tool,
// the bpftrace way.
func DescribeAt(version, name string) string {
	if d := kb.BpftraceSpec(version).Doc(name); d != "" {
		return d
	}
	if h, ok := kb.BpftraceHints[name]; ok {
		return fmt.Sprintf("**%s** is not bpftrace: %s", name, h)
	}
	return ""
}
