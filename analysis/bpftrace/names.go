package bpftrace

import (
	"fmt"
	"sort"
)

// NameInfo is a bpftrace builtin or function, for completion.
type NameInfo struct {
	Name   string
	Kind   string // "function" or "variable"
	Detail string
}

func arity(f fnInfo) string {
	switch {
	case f.max < 0:
		return fmt.Sprintf("%d or more arguments", f.min)
	case f.min == f.max:
		return fmt.Sprintf("%d argument(s)", f.min)
	}
	return fmt.Sprintf("%d to %d arguments", f.min, f.max)
}

func fnDetail(name string, f fnInfo) string {
	d := arity(f)
	if f.agg {
		d = "aggregation, " + d
	}
	if f.unsafe {
		d += ", unsafe (needs --unsafe)"
	}
	if f.since != "" {
		d += ", bpftrace " + f.since + "+"
	}
	return d
}

// Names lists builtins and functions.
func Names() []NameInfo {
	var out []NameInfo
	for n, f := range functions {
		out = append(out, NameInfo{Name: n, Kind: "function", Detail: fnDetail(n, f)})
	}
	for n, since := range builtins {
		d := "builtin variable"
		if since != "" {
			d += ", bpftrace " + since + "+"
		}
		out = append(out, NameInfo{Name: n, Kind: "variable", Detail: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Describe is hover text for a builtin or function ("" when unknown).
func Describe(name string) string {
	if f, ok := functions[name]; ok {
		return fmt.Sprintf("**bpftrace function %s**: %s", name, fnDetail(name, f))
	}
	if since, ok := builtins[name]; ok {
		s := fmt.Sprintf("**bpftrace builtin %s**", name)
		if since != "" {
			s += " (bpftrace " + since + "+)"
		}
		return s
	}
	if h, ok := hints[name]; ok {
		return fmt.Sprintf("**%s** is not bpftrace: %s", name, h)
	}
	return ""
}
