package kb

import (
	"sort"
)

// Info summarises a kb for `kgent kb info`, the status bar and MCP.
type Info struct {
	Kernel     string            `json:"kernel"`
	Version    string            `json:"version,omitempty"` // upstream version, when more precise than Kernel
	Name       string            `json:"name,omitempty"`    // a named profile's name
	Source     string            `json:"source"`
	Reference  bool              `json:"reference"`
	Dir        string            `json:"dir"`
	BuiltAt    string            `json:"builtAt"`
	Schema     int               `json:"schema"`
	Privileged bool              `json:"privileged"`
	Counts     map[string]int    `json:"counts"`
	Sources    map[string]string `json:"sources"`
	Attach     []AttachInfo      `json:"attach"`
}

// AttachInfo is one attach kind's support.
type AttachInfo struct {
	Kind      string `json:"kind"`
	Supported string `json:"supported"`
	Reason    string `json:"reason"`
}

// Info summarises k.
func (k *KB) Info() Info {
	in := Info{
		Kernel: k.Meta.Kernel, Version: k.Meta.Version, Name: k.Meta.Name, Source: k.Meta.Source, Reference: k.Meta.Reference, Dir: k.dir,
		BuiltAt: k.Meta.BuiltAt, Schema: k.Meta.Schema, Privileged: k.Meta.Privileged,
		Sources: k.Meta.Sources,
		Counts: map[string]int{
			"helpers":         k.NumHelpers(),
			"kfuncs":          k.NumKfuncs(),
			"functions":       k.NumFuncs(),
			"kallsyms":        k.NumKallsyms(),
			"tracepoints":     k.NumTracepoints(),
			"raw_tracepoints": k.NumRawTracepoints(),
			"types":           k.NumTypes(),
			"program_types":   len(k.ProgTypes),
		},
	}
	for name, n := range map[string]int{"traceable": k.NumTraceable(), "config": k.config.n, "module_functions": k.NumModuleFuncs()} {
		if n > 0 {
			in.Counts[name] = n
		}
	}
	for kind, s := range k.Attach {
		in.Attach = append(in.Attach, AttachInfo{Kind: kind, Supported: s.Supported.String(), Reason: s.Reason})
	}
	sort.Slice(in.Attach, func(i, j int) bool { return in.Attach[i].Kind < in.Attach[j].Kind })
	return in
}
