package kb

import (
	"fmt"
	"sort"
	"strings"
)

// Info summarises a kb for `kgent kb info`, the status bar and MCP.
type Info struct {
	Kernel     string            `json:"kernel"`
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
		Kernel: k.Meta.Kernel, Source: k.Meta.Source, Reference: k.Meta.Reference, Dir: k.dir,
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
	for kind, s := range k.Attach {
		in.Attach = append(in.Attach, AttachInfo{Kind: kind, Supported: s.Supported.String(), Reason: s.Reason})
	}
	sort.Slice(in.Attach, func(i, j int) bool { return in.Attach[i].Kind < in.Attach[j].Kind })
	return in
}

// Fact is one thing the kb knows about a name.
type Fact struct {
	Kind    string   `json:"kind"` // helper, kfunc, function, tracepoint, raw_tracepoint, struct, union, enum, typedef, attach
	Name    string   `json:"name"`
	Source  string   `json:"source"`
	Details []string `json:"details"`
}

// LookupResult is everything known about a name, or the nearest names.
type LookupResult struct {
	Facts   []Fact   `json:"facts"`
	Nearest []string `json:"nearest,omitempty"`
}

// Lookup finds every fact about name across families.
func (k *KB) Lookup(name string) LookupResult {
	var r LookupResult
	if h, ok := k.Helper(name); ok {
		f := Fact{Kind: "helper", Name: h.Name, Source: h.Source, Details: []string{fmt.Sprintf("id %d", h.ID)}}
		if h.Func != nil {
			f.Details = append(f.Details, h.Func.Proto())
		}
		f.Details = append(f.Details, "GPL-only: "+h.GPLOnly.String())
		if h.Allowed != nil {
			var yes []string
			for _, pt := range k.ProgTypes {
				if h.Allowed[pt] == Yes {
					yes = append(yes, pt)
				}
			}
			f.Details = append(f.Details, "program types: "+strings.Join(yes, ", "))
		}
		r.Facts = append(r.Facts, f)
	}
	if kf, ok := k.Kfunc(name); ok {
		f := Fact{Kind: "kfunc", Name: kf.Name, Source: FromBTF, Details: []string{kf.Proto()}}
		if len(kf.Flags) > 0 {
			f.Details = append(f.Details, "tags: "+strings.Join(kf.Flags, ", "))
		}
		r.Facts = append(r.Facts, f)
	}
	if fn, present := k.KernelFunc(name); present == Yes {
		f := Fact{Kind: "function", Name: name, Source: FromKallsyms}
		if fn != nil {
			f.Source = FromBTF
			f.Details = append(f.Details, fn.Proto())
		}
		f.Details = append(f.Details, "kprobe: "+k.AttachSupport(AttachKprobe).Supported.String()+", fentry: "+k.AttachSupport(AttachFentry).Supported.String())
		r.Facts = append(r.Facts, f)
	}
	cat, ev, hasCat := strings.Cut(strings.ReplaceAll(name, "/", ":"), ":")
	var tps []*Tracepoint
	if hasCat {
		if tp, ok := k.Tracepoint(cat, ev); ok {
			tps = append(tps, tp)
		}
	} else {
		tps = k.TracepointsNamed(name)
	}
	for _, tp := range tps {
		f := Fact{Kind: "tracepoint", Name: tp.Category + ":" + tp.Name, Source: tp.Source}
		for _, fl := range tp.Fields {
			f.Details = append(f.Details, fmt.Sprintf("%s %s; (offset %d, size %d)", fl.Type, fl.Name, fl.Offset, fl.Size))
		}
		r.Facts = append(r.Facts, f)
	}
	if k.RawTracepoint(name) == Yes {
		r.Facts = append(r.Facts, Fact{Kind: "raw_tracepoint", Name: name, Source: FromBTF})
	}
	for _, kind := range []string{"struct", "union", "enum", "typedef"} {
		t, ok := k.Type(kind, strings.TrimPrefix(name, kind+" "))
		if !ok {
			continue
		}
		f := Fact{Kind: kind, Name: t.Name, Source: FromBTF}
		if t.Kind == "typedef" {
			f.Details = append(f.Details, "= "+t.Target)
		}
		if t.Size > 0 {
			f.Details = append(f.Details, fmt.Sprintf("size %d", t.Size))
		}
		for _, m := range t.Members {
			if kind == "enum" {
				f.Details = append(f.Details, fmt.Sprintf("%s = %d", m.Name, m.Offset))
				continue
			}
			f.Details = append(f.Details, fmt.Sprintf("%s %s; (offset %d)", m.Type, m.Name, m.Offset/8))
		}
		r.Facts = append(r.Facts, f)
	}
	if s, ok := k.Attach[name]; ok {
		r.Facts = append(r.Facts, Fact{Kind: "attach", Name: name, Source: s.Source, Details: []string{"supported: " + s.Supported.String(), s.Reason}})
	}
	if len(r.Facts) == 0 {
		seen := map[string]bool{}
		for _, fam := range []string{FamilyHelper, FamilyKfunc, FamilyFunc, FamilyTracepoint, FamilyType} {
			for _, n := range k.Nearest(fam, name, 3) {
				if !seen[n] {
					seen[n] = true
					r.Nearest = append(r.Nearest, n)
				}
			}
		}
		if len(r.Nearest) > 8 {
			r.Nearest = r.Nearest[:8]
		}
	}
	return r
}
