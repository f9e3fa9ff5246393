package mcp

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/kb"
)

const lookupDescription = "Look up what the target kernel really offers, instead of guessing. kind is one of: " +
	"helper (BPF helper: prototype, the program types that may call it on this kernel, GPL-only, documentation), " +
	"kfunc (prototype and tags), " +
	"function (kernel function: BTF prototype, and whether kprobe and fentry can attach to it on this kernel), " +
	"tracepoint (category:name, e.g. syscalls:sys_enter_openat, with its fields; a bare name finds it in any category; also raw tracepoints), " +
	"struct (struct, union, enum or typedef with its members and offsets), " +
	"sec (a libbpf SEC() name such as tp_btf/sched_switch: program type, attach kind, target form), " +
	"bpftrace (a bpftrace builtin, function or probe type), or any (every kind). " +
	"Names may use * and ? wildcards for helper, kfunc, function, tracepoint and struct. Returns the exact matches; when there is none, " +
	"the nearest real names (so a misspelled or invented name leads to the real one)."

// LookupInput is the input of lookup_kernel.
type LookupInput struct {
	Kind  string `json:"kind" jsonschema:"helper, kfunc, function, tracepoint, struct, sec, bpftrace or any"`
	Query string `json:"query" jsonschema:"the name to look up, e.g. bpf_get_current_pid_tgid, tcp_v4_connect, syscalls:sys_enter_openat, task_struct, kprobe/do_unlinkat, nsecs; * and ? are wildcards"`
}

// Attach says whether an attach kind can reach a kernel function.
type Attach struct {
	Kind      string `json:"kind" jsonschema:"kprobe or fentry"`
	Supported string `json:"supported" jsonschema:"yes, no or unknown"`
	Reason    string `json:"reason,omitempty"`
}

// Field is a struct member, union member, enum value or tracepoint field.
type Field struct {
	Name   string `json:"name"`
	Type   string `json:"type,omitempty"`
	Offset int    `json:"offset" jsonschema:"byte offset (enum: the value)"`
	Size   int    `json:"size,omitempty"`
	Bits   int    `json:"bits,omitempty" jsonschema:"bitfield width, when a bitfield"`
}

// Match is one thing the kernel (or libbpf, or bpftrace) has by that name.
type Match struct {
	Kind string `json:"kind" jsonschema:"helper, kfunc, function, tracepoint, raw_tracepoint, struct, union, enum, typedef, sec or bpftrace"`
	Name string `json:"name"`
	// Prototype in C, for helpers, kfuncs and functions.
	Prototype string `json:"prototype,omitempty"`
	// ProgramTypes that may call a helper on the target kernel.
	ProgramTypes []string `json:"program_types,omitempty"`
	GPLOnly      string   `json:"gpl_only,omitempty"`
	// Traceable says whether any attach kind reaches a function: yes, no
	// or unknown; Attach gives each kind with the kernel's reason.
	Traceable string   `json:"traceable,omitempty"`
	Attach    []Attach `json:"attach,omitempty"`
	Fields    []Field  `json:"fields,omitempty"`
	// Details are the remaining facts in words.
	Details []string `json:"details,omitempty"`
	Doc     string   `json:"doc,omitempty"`
	Source  string   `json:"source,omitempty" jsonschema:"where the fact comes from (btf, tracefs, kallsyms, headers, libbpf, bpftrace)"`
}

// LookupOutput is the output of lookup_kernel.
type LookupOutput struct {
	Kind    string   `json:"kind"`
	Query   string   `json:"query"`
	Matches []Match  `json:"matches"`
	Nearest []string `json:"nearest,omitempty" jsonschema:"the nearest real names, when nothing matched exactly"`
	// Hints name the right idea for a name borrowed from another tool
	// (DTrace's quantize, C's sprintf in bpftrace).
	Hints []string `json:"hints,omitempty"`
	// Truncated is set when more matched than the answer holds.
	Truncated bool   `json:"truncated,omitempty"`
	Kernel    string `json:"kernel"`
}

var lookupKinds = []string{"helper", "kfunc", "function", "tracepoint", "struct", "sec", "bpftrace"}

func (t *tools) lookup(_ context.Context, _ *mcp.CallToolRequest, in LookupInput) (LookupOutput, error) {
	kind := strings.ToLower(strings.TrimSpace(in.Kind))
	// Names as they appear in code: bpf_ktime_get_ns(), struct sock *.
	q := strings.TrimSuffix(strings.TrimSpace(in.Query), "()")
	for strings.HasSuffix(q, " *") {
		q = strings.TrimSpace(strings.TrimSuffix(q, " *"))
	}
	out := LookupOutput{Kind: kind, Query: q, Matches: []Match{}, Kernel: t.k.Meta.Kernel}
	if q == "" {
		return out, errors.New("query is empty: pass a name such as tcp_v4_connect")
	}
	if len(q) > maxQuery {
		return out, fmt.Errorf("query is longer than %d bytes", maxQuery)
	}
	var kinds []string
	switch kind {
	case "any", "":
		kinds = lookupKinds
	case "type", "union", "enum", "typedef":
		kinds = []string{"struct"}
	case "func", "kprobe", "fentry":
		kinds = []string{"function"}
	case "tp", "raw_tracepoint":
		kinds = []string{"tracepoint"}
	default:
		for _, k := range lookupKinds {
			if k == kind {
				kinds = []string{k}
			}
		}
		if kinds == nil {
			return out, fmt.Errorf("unknown kind %q: use one of %s or any", in.Kind, strings.Join(lookupKinds, ", "))
		}
	}
	wild := strings.ContainsAny(q, "*?")
	var nearest []string
	for _, k := range kinds {
		ms, near := t.lookupKind(k, q, wild)
		out.Matches = append(out.Matches, ms...)
		nearest = append(nearest, near...)
	}
	if len(out.Matches) > maxResults {
		out.Matches, out.Truncated = out.Matches[:maxResults], true
	}
	if len(out.Matches) == 0 {
		for _, k := range kinds {
			if hint, ok := kb.BpftraceHints[strings.TrimSuffix(q, "(")]; ok && k == "bpftrace" {
				out.Hints = append(out.Hints, q+" is not bpftrace: "+hint)
			}
		}
		seen := map[string]bool{}
		for _, n := range nearest {
			if !seen[n] && len(out.Nearest) < maxNearest*2 {
				seen[n] = true
				out.Nearest = append(out.Nearest, n)
			}
		}
		if len(kinds) == 1 && len(out.Nearest) > maxNearest {
			out.Nearest = out.Nearest[:maxNearest]
		}
	}
	return out, nil
}

// lookupKind answers one kind: exact (or wildcard) matches, else the
// nearest names of that family.
func (t *tools) lookupKind(kind, q string, wild bool) ([]Match, []string) {
	k := t.k
	var ms []Match
	switch kind {
	case "helper":
		for _, name := range t.names(kind, q, wild) {
			if h, ok := k.Helper(name); ok {
				ms = append(ms, t.helperMatch(h, !wild))
			}
		}
		if len(ms) == 0 && !wild {
			return nil, k.Nearest(kb.FamilyHelper, q, maxNearest)
		}
	case "kfunc":
		for _, name := range t.names(kind, q, wild) {
			if f, ok := k.Kfunc(name); ok {
				m := Match{Kind: "kfunc", Name: f.Name, Prototype: f.Proto(), Source: kb.FromBTF}
				if len(f.Flags) > 0 {
					m.Details = append(m.Details, "tags: "+strings.Join(f.Flags, ", "))
				}
				ms = append(ms, m)
			}
		}
		if len(ms) == 0 && !wild {
			return nil, k.Nearest(kb.FamilyKfunc, q, maxNearest)
		}
	case "function":
		for _, name := range t.names(kind, q, wild) {
			if m, ok := t.funcMatch(name); ok {
				ms = append(ms, m)
			}
		}
		if len(ms) == 0 && !wild {
			return nil, k.Nearest(kb.FamilyFunc, q, maxNearest)
		}
	case "tracepoint":
		return t.tracepoints(q, wild)
	case "struct":
		name := q
		for _, p := range []string{"struct ", "union ", "enum "} {
			name = strings.TrimPrefix(name, p)
		}
		for _, n := range t.names(kind, name, wild) {
			for _, tk := range []string{"struct", "union", "enum", "typedef"} {
				if typ, ok := k.Type(tk, n); ok {
					ms = append(ms, typeMatch(typ))
				}
			}
		}
		if len(ms) == 0 && !wild {
			return nil, k.Nearest(kb.FamilyType, name, maxNearest)
		}
	case "sec":
		if def, target, ok := kb.LookupSEC(q); ok {
			m := Match{Kind: "sec", Name: def.Prefix, Source: "libbpf", Details: []string{"program type: " + def.ProgType}}
			if def.Attach != "" {
				s := k.AttachSupport(def.Attach)
				m.Attach = []Attach{{Kind: def.Attach, Supported: s.Supported.String(), Reason: s.Reason}}
				m.Details = append(m.Details, "attach kind: "+def.Attach)
			}
			if def.Target != "" {
				form := def.Prefix + "/" + def.Target
				if def.Optional {
					form += " (target optional)"
				}
				m.Details = append(m.Details, "section form: "+form)
			}
			if target != "" {
				m.Details = append(m.Details, "target given: "+target)
			}
			if def.Sleep {
				m.Details = append(m.Details, "sleepable")
			}
			if def.Since != "" {
				m.Details = append(m.Details, "libbpf "+def.Since+"+")
			}
			ms = append(ms, m)
		} else {
			return nil, kb.Nearest(kb.SECNames(), q, maxNearest)
		}
	case "bpftrace":
		if ms = bpftraceMatches(q); len(ms) == 0 {
			return nil, kb.Nearest(bpftraceNames(), q, maxNearest)
		}
	}
	return ms, nil
}

// names expands q to the names of a family: itself, or a wildcard's
// matches (at most maxResults+1, so truncation shows).
func (t *tools) names(kind, q string, wild bool) []string {
	if !wild {
		return []string{q}
	}
	k := t.k
	var all []string
	switch kind {
	case "helper":
		for h := range k.Helpers() {
			all = append(all, h.Name)
		}
	case "kfunc":
		for f := range k.Kfuncs() {
			all = append(all, f.Name)
		}
	case "function":
		out, _ := k.FuncsMatching(q, maxResults+1)
		return out
	case "struct":
		seen := map[string]bool{}
		for kind, name := range k.TypeNames() {
			switch kind {
			case "struct", "union", "enum", "typedef":
				if !seen[name] {
					seen[name] = true
					all = append(all, name)
				}
			}
		}
	}
	sort.Strings(all)
	var out []string
	for _, n := range all {
		if kb.Glob(q, n) {
			out = append(out, n)
			if len(out) > maxResults {
				break
			}
		}
	}
	return out
}

func (t *tools) helperMatch(h *kb.Helper, withDoc bool) Match {
	m := Match{Kind: "helper", Name: h.Name, GPLOnly: h.GPLOnly.String(), Source: h.Source, Details: []string{fmt.Sprintf("id %d", h.ID)}}
	if h.Func != nil {
		m.Prototype = h.Func.Proto()
	}
	if h.Allowed != nil {
		var no []string
		for _, pt := range t.k.ProgTypes {
			switch h.Allowed[pt] {
			case kb.Yes:
				m.ProgramTypes = append(m.ProgramTypes, pt)
			case kb.No:
				no = append(no, pt)
			}
		}
		if len(no) > 0 {
			m.Details = append(m.Details, "not allowed in: "+strings.Join(no, ", "))
		}
	} else {
		m.Details = append(m.Details, "program types: not probed on this kernel (needs root when the kb is built)")
	}
	if withDoc {
		m.Doc = kb.HelperDoc(h.Name)
		if len(m.Doc) > maxDoc {
			m.Doc = m.Doc[:maxDoc] + "..."
		}
	}
	return m
}

func (t *tools) funcMatch(name string) (Match, bool) {
	k := t.k
	fn, present := k.KernelFunc(name)
	if present != kb.Yes {
		return Match{}, false
	}
	m := Match{Kind: "function", Name: name, Source: kb.FromKallsyms}
	if fn != nil {
		m.Source = kb.FromBTF
		m.Prototype = fn.Proto()
	}
	kp := k.AttachSupport(kb.AttachKprobe)
	m.Attach = append(m.Attach, Attach{Kind: "kprobe", Supported: kp.Supported.String(), Reason: kp.Reason})
	fe := k.AttachSupport(kb.AttachFentry)
	fa := Attach{Kind: "fentry", Supported: fe.Supported.String(), Reason: fe.Reason}
	if fn == nil {
		fa = Attach{Kind: "fentry", Supported: kb.No.String(), Reason: "no BTF prototype for this function (fentry needs one)"}
	}
	m.Attach = append(m.Attach, fa)
	m.Traceable = kb.Unknown.String()
	switch {
	case kp.Supported == kb.Yes || fa.Supported == kb.Yes.String():
		m.Traceable = kb.Yes.String()
		m.Details = append(m.Details, "whether this one function is in the kernel's traceable list (available_filter_functions) is not checked here")
	case kp.Supported == kb.No && fa.Supported == kb.No.String():
		m.Traceable = kb.No.String()
		m.Details = append(m.Details, "neither kprobes nor fentry attach on this kernel: use a tracepoint or tp_btf/raw tracepoint near it")
	}
	return m, true
}

func (t *tools) tracepoints(q string, wild bool) ([]Match, []string) {
	k := t.k
	name := strings.TrimPrefix(strings.TrimPrefix(q, "tracepoint:"), "tracepoint/")
	for _, p := range []string{"tp:", "tp/", "t:"} {
		name = strings.TrimPrefix(name, p)
	}
	name = strings.Replace(name, "/", ":", 1)
	var tps []*kb.Tracepoint
	switch cat, ev, hasCat := strings.Cut(name, ":"); {
	case wild:
		for tp := range k.Tracepoints() {
			if (hasCat && kb.Glob(cat, tp.Category) && kb.Glob(ev, tp.Name)) || (!hasCat && kb.Glob(name, tp.Name)) {
				tps = append(tps, tp)
				if len(tps) > maxResults {
					break
				}
			}
		}
	case hasCat:
		if tp, ok := k.Tracepoint(cat, ev); ok {
			tps = append(tps, tp)
		}
	default:
		tps = k.TracepointsNamed(name)
	}
	var ms []Match
	for _, tp := range tps {
		m := Match{Kind: "tracepoint", Name: tp.Category + ":" + tp.Name, Source: tp.Source, Fields: []Field{}}
		for i, f := range tp.Fields {
			if i == maxFields {
				m.Details = append(m.Details, fmt.Sprintf("%d more fields not shown", len(tp.Fields)-maxFields))
				break
			}
			m.Fields = append(m.Fields, Field{Name: f.Name, Type: f.Type, Offset: f.Offset, Size: f.Size})
		}
		m.Details = append(m.Details, "bpftrace: tracepoint:"+tp.Category+":"+tp.Name+" with args->FIELD; libbpf C: SEC(\"tp/"+tp.Category+"/"+tp.Name+"\")")
		if tp.Struct != "" {
			m.Details = append(m.Details, "context struct: struct "+tp.Struct)
		}
		ms = append(ms, m)
	}
	raw := strings.TrimPrefix(strings.TrimPrefix(name, "raw_tp:"), "tp_btf:")
	if !wild && !strings.Contains(raw, ":") && k.RawTracepoint(raw) == kb.Yes {
		m := Match{Kind: "raw_tracepoint", Name: raw, Source: kb.FromBTF,
			Details: []string{"libbpf C: SEC(\"raw_tp/" + raw + "\") or SEC(\"tp_btf/" + raw + "\"); bpftrace: rawtracepoint:" + raw}}
		ms = append(ms, m)
	}
	if len(ms) > 0 || wild {
		return ms, nil
	}
	if !k.TracepointsKnown() {
		return nil, k.Nearest(kb.FamilyRawTP, raw, maxNearest)
	}
	q2 := name
	if !strings.Contains(q2, ":") {
		// A bare name: compare with event names across categories.
		var all []string
		for _, name := range k.TracepointNames() {
			all = append(all, name)
		}
		var out []string
		for _, n := range kb.Nearest(all, q2, maxNearest) {
			for _, tp := range k.TracepointsNamed(n) {
				out = append(out, tp.Category+":"+tp.Name)
			}
		}
		return nil, out
	}
	return nil, k.Nearest(kb.FamilyTracepoint, q2, maxNearest)
}

func typeMatch(typ *kb.Type) Match {
	m := Match{Kind: typ.Kind, Name: typ.Name, Source: kb.FromBTF}
	if typ.Size > 0 {
		m.Details = append(m.Details, fmt.Sprintf("size %d bytes", typ.Size))
	}
	if typ.Kind == "typedef" {
		m.Details = append(m.Details, "typedef of "+typ.Target)
	}
	for i, mem := range typ.Members {
		if i == maxFields {
			m.Details = append(m.Details, fmt.Sprintf("%d more members not shown", len(typ.Members)-maxFields))
			break
		}
		if typ.Kind == "enum" {
			m.Fields = append(m.Fields, Field{Name: mem.Name, Offset: mem.Offset})
			continue
		}
		m.Fields = append(m.Fields, Field{Name: mem.Name, Type: mem.Type, Offset: mem.Offset / 8, Bits: mem.Bits})
	}
	return m
}

// bpftraceMatches are the builtin variable, function and probe type of
// that name (nsecs is both a builtin and, since 0.21, a function).
func bpftraceMatches(q string) []Match {
	name := strings.TrimSuffix(strings.TrimSuffix(q, "()"), ":")
	var ms []Match
	if since, ok := kb.BpftraceBuiltins[name]; ok {
		m := Match{Kind: "bpftrace", Name: name, Source: "bpftrace", Details: []string{"builtin variable"}}
		if since != "" {
			m.Details = append(m.Details, "bpftrace "+since+" and later")
		}
		ms = append(ms, m)
	}
	if f, ok := kb.BpftraceFunctions[name]; ok {
		d := "function, "
		switch {
		case f.Max < 0:
			d += fmt.Sprintf("%d or more arguments", f.Min)
		case f.Min == f.Max:
			d += fmt.Sprintf("%d argument(s)", f.Min)
		default:
			d += fmt.Sprintf("%d to %d arguments", f.Min, f.Max)
		}
		if f.Format {
			d += ", printf-style format first"
		}
		m := Match{Kind: "bpftrace", Name: name, Source: "bpftrace", Details: []string{d}}
		if f.Agg {
			m.Details = append(m.Details, "aggregation: assign to a map, @x = "+name+"(...)")
		}
		if f.Unsafe {
			m.Details = append(m.Details, "unsafe: needs bpftrace --unsafe (kgent flags it and never enables it)")
		}
		if f.Since != "" {
			m.Details = append(m.Details, "bpftrace "+f.Since+" and later")
		}
		ms = append(ms, m)
	}
	if full, ok := kb.BpftraceProbeTypes[name]; ok {
		m := Match{Kind: "bpftrace", Name: name, Source: "bpftrace", Details: []string{"probe type " + full}}
		if since := kb.BpftraceProbeSince[name]; since != "" {
			m.Details = append(m.Details, "bpftrace "+since+" and later")
		}
		ms = append(ms, m)
	}
	return ms
}

func bpftraceNames() []string {
	var out []string
	for n := range kb.BpftraceFunctions {
		out = append(out, n)
	}
	for n := range kb.BpftraceBuiltins {
		out = append(out, n)
	}
	for n := range kb.BpftraceProbeTypes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
