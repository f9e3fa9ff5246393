package kb

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Facts about names, rendered once for every front: kgent kb lookup,
// MCP's lookup_kernel and the editor's hover read the same Matches.

// Limits of one answer.
const (
	maxMatches = 20      // matches per answer
	maxNear    = 5       // nearest names per family when nothing matches
	maxFacts   = 400     // struct members or tracepoint fields per match
	maxHelpDoc = 4 << 10 // bytes of a helper's documentation
)

// Attach says whether an attach kind can reach a kernel function.
type Attach struct {
	Kind      string `json:"kind" jsonschema:"kprobe or fentry"`
	Supported string `json:"supported" jsonschema:"yes, no or unknown"`
	Reason    string `json:"reason,omitempty"`
}

// FactField is a struct member, union member, enum value or tracepoint
// field, as a match shows it.
type FactField struct {
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
	Traceable string      `json:"traceable,omitempty"`
	Attach    []Attach    `json:"attach,omitempty"`
	Fields    []FactField `json:"fields,omitempty"`
	// Details are the remaining facts in words.
	Details []string `json:"details,omitempty"`
	Doc     string   `json:"doc,omitempty"`
	Source  string   `json:"source,omitempty" jsonschema:"where the fact comes from (btf, tracefs, kallsyms, headers, libbpf, bpftrace)"`
}

// Facts is what the kb knows about a query.
type Facts struct {
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

// LookupKinds are the kinds LookupFacts answers; "any" is all of them.
var LookupKinds = []string{"helper", "kfunc", "function", "tracepoint", "struct", "sec", "bpftrace"}

// LookupFacts answers a query of a kind (helper, kfunc, function,
// tracepoint, struct, sec, bpftrace, or any; aliases such as type, tp and
// kprobe are accepted) about a name, with * and ? wildcards for helper,
// kfunc, function, tracepoint and struct. When nothing matches, Nearest
// holds the nearest real names.
func (k *KB) LookupFacts(kind, query string) (Facts, error) {
	kind = strings.ToLower(strings.TrimSpace(kind))
	// Names as they appear in code: bpf_ktime_get_ns(), struct sock *.
	q := strings.TrimSuffix(strings.TrimSpace(query), "()")
	for strings.HasSuffix(q, " *") {
		q = strings.TrimSpace(strings.TrimSuffix(q, " *"))
	}
	out := Facts{Kind: kind, Query: q, Matches: []Match{}, Kernel: k.Meta.Kernel}
	if q == "" {
		return out, errors.New("query is empty: pass a name such as tcp_v4_connect")
	}
	var kinds []string
	switch kind {
	case "any", "":
		kinds = LookupKinds
	case "type", "union", "enum", "typedef":
		kinds = []string{"struct"}
	case "func", "kprobe", "fentry":
		kinds = []string{"function"}
	case "tp", "raw_tracepoint":
		kinds = []string{"tracepoint"}
	default:
		for _, lk := range LookupKinds {
			if lk == kind {
				kinds = []string{lk}
			}
		}
		if kinds == nil {
			return out, fmt.Errorf("unknown kind %q: use one of %s or any", kind, strings.Join(LookupKinds, ", "))
		}
	}
	wild := strings.ContainsAny(q, "*?")
	var nearest []string
	for _, kd := range kinds {
		ms, near := k.lookupKind(kd, q, wild)
		out.Matches = append(out.Matches, ms...)
		nearest = append(nearest, near...)
	}
	if len(out.Matches) > maxMatches {
		out.Matches, out.Truncated = out.Matches[:maxMatches], true
	}
	if len(out.Matches) == 0 {
		for _, kd := range kinds {
			if hint, ok := BpftraceHints[strings.TrimSuffix(q, "(")]; ok && kd == "bpftrace" {
				out.Hints = append(out.Hints, q+" is not bpftrace: "+hint)
			}
		}
		seen := map[string]bool{}
		for _, n := range nearest {
			if !seen[n] && len(out.Nearest) < maxNear*2 {
				seen[n] = true
				out.Nearest = append(out.Nearest, n)
			}
		}
		if len(kinds) == 1 && len(out.Nearest) > maxNear {
			out.Nearest = out.Nearest[:maxNear]
		}
	}
	return out, nil
}

// lookupKind answers one kind: exact (or wildcard) matches, else the
// nearest names of that family.
func (k *KB) lookupKind(kind, q string, wild bool) ([]Match, []string) {
	var ms []Match
	switch kind {
	case "helper":
		for _, name := range k.lookupNames(kind, q, wild) {
			if h, ok := k.Helper(name); ok {
				ms = append(ms, k.helperMatch(h, !wild))
			}
		}
		if len(ms) == 0 && !wild {
			return nil, k.Nearest(FamilyHelper, q, maxNear)
		}
	case "kfunc":
		for _, name := range k.lookupNames(kind, q, wild) {
			if f, ok := k.Kfunc(name); ok {
				m := Match{Kind: "kfunc", Name: f.Name, Prototype: f.Proto(), Source: FromBTF}
				if len(f.Flags) > 0 {
					m.Details = append(m.Details, "tags: "+strings.Join(f.Flags, ", "))
				}
				ms = append(ms, m)
			}
		}
		if len(ms) == 0 && !wild {
			return nil, k.Nearest(FamilyKfunc, q, maxNear)
		}
	case "function":
		for _, name := range k.lookupNames(kind, q, wild) {
			if m, ok := k.funcMatch(name); ok {
				ms = append(ms, m)
			}
		}
		if len(ms) == 0 && !wild {
			return nil, k.Nearest(FamilyFunc, q, maxNear)
		}
	case "tracepoint":
		return k.tracepointMatches(q, wild)
	case "struct":
		name := q
		for _, p := range []string{"struct ", "union ", "enum "} {
			name = strings.TrimPrefix(name, p)
		}
		for _, n := range k.lookupNames(kind, name, wild) {
			for _, tk := range []string{"struct", "union", "enum", "typedef"} {
				if typ, ok := k.Type(tk, n); ok {
					ms = append(ms, typeMatch(typ))
				}
			}
		}
		if len(ms) == 0 && !wild {
			return nil, k.Nearest(FamilyType, name, maxNear)
		}
	case "sec":
		if def, target, ok := LookupSEC(q); ok {
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
			return nil, Nearest(SECNames(), q, maxNear)
		}
	case "bpftrace":
		if ms = bpftraceMatches(q); len(ms) == 0 {
			return nil, Nearest(bpftraceNames(), q, maxNear)
		}
	}
	return ms, nil
}

// names expands q to the names of a family: itself, or a wildcard's
// matches (at most maxMatches+1, so truncation shows).
func (k *KB) lookupNames(kind, q string, wild bool) []string {
	if !wild {
		return []string{q}
	}
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
		out, _ := k.FuncsMatching(q, maxMatches+1)
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
		if Glob(q, n) {
			out = append(out, n)
			if len(out) > maxMatches {
				break
			}
		}
	}
	return out
}

func (k *KB) helperMatch(h *Helper, withDoc bool) Match {
	m := Match{Kind: "helper", Name: h.Name, GPLOnly: h.GPLOnly.String(), Source: h.Source, Details: []string{fmt.Sprintf("id %d", h.ID)}}
	if h.Func != nil {
		m.Prototype = h.Func.Proto()
	}
	if h.Allowed != nil {
		var no []string
		for _, pt := range k.ProgTypes {
			switch h.Allowed[pt] {
			case Yes:
				m.ProgramTypes = append(m.ProgramTypes, pt)
			case No:
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
		m.Doc = HelperDoc(h.Name)
		if len(m.Doc) > maxHelpDoc {
			m.Doc = m.Doc[:maxHelpDoc] + "..."
		}
	}
	return m
}

func (k *KB) funcMatch(name string) (Match, bool) {
	fn, present := k.KernelFunc(name)
	if present != Yes {
		return Match{}, false
	}
	m := Match{Kind: "function", Name: name, Source: FromKallsyms}
	if fn != nil {
		m.Source = FromBTF
		m.Prototype = fn.Proto()
	}
	kp := k.AttachSupport(AttachKprobe)
	m.Attach = append(m.Attach, Attach{Kind: "kprobe", Supported: kp.Supported.String(), Reason: kp.Reason})
	fe := k.AttachSupport(AttachFentry)
	fa := Attach{Kind: "fentry", Supported: fe.Supported.String(), Reason: fe.Reason}
	if fn == nil {
		fa = Attach{Kind: "fentry", Supported: No.String(), Reason: "no BTF prototype for this function (fentry needs one)"}
	}
	m.Attach = append(m.Attach, fa)
	m.Traceable = Unknown.String()
	switch {
	case kp.Supported == Yes || fa.Supported == Yes.String():
		m.Traceable = Yes.String()
		m.Details = append(m.Details, "whether this one function is in the kernel's traceable list (available_filter_functions) is not checked here")
	case kp.Supported == No && fa.Supported == No.String():
		m.Traceable = No.String()
		m.Details = append(m.Details, "neither kprobes nor fentry attach on this kernel: use a tracepoint or tp_btf/raw tracepoint near it")
	}
	return m, true
}

func (k *KB) tracepointMatches(q string, wild bool) ([]Match, []string) {
	name := strings.TrimPrefix(strings.TrimPrefix(q, "tracepoint:"), "tracepoint/")
	for _, p := range []string{"tp:", "tp/", "t:"} {
		name = strings.TrimPrefix(name, p)
	}
	name = strings.Replace(name, "/", ":", 1)
	var tps []*Tracepoint
	switch cat, ev, hasCat := strings.Cut(name, ":"); {
	case wild:
		for tp := range k.Tracepoints() {
			if (hasCat && Glob(cat, tp.Category) && Glob(ev, tp.Name)) || (!hasCat && Glob(name, tp.Name)) {
				tps = append(tps, tp)
				if len(tps) > maxMatches {
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
		m := Match{Kind: "tracepoint", Name: tp.Category + ":" + tp.Name, Source: tp.Source, Fields: []FactField{}}
		for i, f := range tp.Fields {
			if i == maxFacts {
				m.Details = append(m.Details, fmt.Sprintf("%d more fields not shown", len(tp.Fields)-maxFacts))
				break
			}
			m.Fields = append(m.Fields, FactField{Name: f.Name, Type: f.Type, Offset: f.Offset, Size: f.Size})
		}
		m.Details = append(m.Details, "bpftrace: tracepoint:"+tp.Category+":"+tp.Name+" with args->FIELD; libbpf C: SEC(\"tp/"+tp.Category+"/"+tp.Name+"\")")
		if tp.Struct != "" {
			m.Details = append(m.Details, "context struct: struct "+tp.Struct)
		}
		ms = append(ms, m)
	}
	raw := strings.TrimPrefix(strings.TrimPrefix(name, "raw_tp:"), "tp_btf:")
	if !wild && !strings.Contains(raw, ":") && k.RawTracepoint(raw) == Yes {
		m := Match{Kind: "raw_tracepoint", Name: raw, Source: FromBTF,
			Details: []string{"libbpf C: SEC(\"raw_tp/" + raw + "\") or SEC(\"tp_btf/" + raw + "\"); bpftrace: rawtracepoint:" + raw}}
		ms = append(ms, m)
	}
	if len(ms) > 0 || wild {
		return ms, nil
	}
	if !k.TracepointsKnown() {
		return nil, k.Nearest(FamilyRawTP, raw, maxNear)
	}
	q2 := name
	if !strings.Contains(q2, ":") {
		// A bare name: compare with event names across categories.
		var all []string
		for _, name := range k.TracepointNames() {
			all = append(all, name)
		}
		var out []string
		for _, n := range Nearest(all, q2, maxNear) {
			for _, tp := range k.TracepointsNamed(n) {
				out = append(out, tp.Category+":"+tp.Name)
			}
		}
		return nil, out
	}
	return nil, k.Nearest(FamilyTracepoint, q2, maxNear)
}

func typeMatch(typ *Type) Match {
	m := Match{Kind: typ.Kind, Name: typ.Name, Source: FromBTF}
	if typ.Size > 0 {
		m.Details = append(m.Details, fmt.Sprintf("size %d bytes", typ.Size))
	}
	if typ.Kind == "typedef" {
		m.Details = append(m.Details, "typedef of "+typ.Target)
	}
	for i, mem := range typ.Members {
		if i == maxFacts {
			m.Details = append(m.Details, fmt.Sprintf("%d more members not shown", len(typ.Members)-maxFacts))
			break
		}
		if typ.Kind == "enum" {
			m.Fields = append(m.Fields, FactField{Name: mem.Name, Offset: mem.Offset})
			continue
		}
		m.Fields = append(m.Fields, FactField{Name: mem.Name, Type: mem.Type, Offset: mem.Offset / 8, Bits: mem.Bits})
	}
	return m
}

// bpftraceMatches are the builtin variable, function and probe type of
// that name (nsecs is both a builtin and, since 0.21, a function).
func bpftraceMatches(q string) []Match {
	name := strings.TrimSuffix(strings.TrimSuffix(q, "()"), ":")
	var ms []Match
	if since, ok := BpftraceBuiltins[name]; ok {
		m := Match{Kind: "bpftrace", Name: name, Source: "bpftrace", Details: []string{"builtin variable"}}
		if since != "" {
			m.Details = append(m.Details, "bpftrace "+since+" and later")
		}
		ms = append(ms, m)
	}
	if f, ok := BpftraceFunctions[name]; ok {
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
	if full, ok := BpftraceProbeTypes[name]; ok {
		m := Match{Kind: "bpftrace", Name: name, Source: "bpftrace", Details: []string{"probe type " + full}}
		if since := BpftraceProbeSince[name]; since != "" {
			m.Details = append(m.Details, "bpftrace "+since+" and later")
		}
		ms = append(ms, m)
	}
	return ms
}

func bpftraceNames() []string {
	var out []string
	for n := range BpftraceFunctions {
		out = append(out, n)
	}
	for n := range BpftraceBuiltins {
		out = append(out, n)
	}
	for n := range BpftraceProbeTypes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lines are a match's facts as lines of text, in the order every text
// front shows them (kgent kb lookup, hover): CodeLines, then FactLines.
func (m Match) Lines() []string { return append(m.CodeLines(), m.FactLines()...) }

// CodeLines are what reads as C: the prototype, or the fields, members
// or enum values with their offsets.
func (m Match) CodeLines() []string {
	var out []string
	if m.Prototype != "" {
		out = append(out, m.Prototype)
	}
	for _, f := range m.Fields {
		switch {
		case m.Kind == "enum":
			out = append(out, fmt.Sprintf("%s = %d", f.Name, f.Offset))
		case f.Bits > 0:
			out = append(out, fmt.Sprintf("%s %s : %d; // offset %d", f.Type, f.Name, f.Bits, f.Offset))
		case f.Size > 0:
			out = append(out, fmt.Sprintf("%s %s; // offset %d, size %d", f.Type, f.Name, f.Offset, f.Size))
		default:
			out = append(out, fmt.Sprintf("%s %s; // offset %d", f.Type, f.Name, f.Offset))
		}
	}
	return out
}

// FactLines are the other facts in words: licence, program types,
// attach kinds, details, then the documentation.
func (m Match) FactLines() []string {
	var out []string
	if m.GPLOnly != "" {
		out = append(out, "GPL-only: "+m.GPLOnly)
	}
	if len(m.ProgramTypes) > 0 {
		out = append(out, "program types: "+strings.Join(m.ProgramTypes, ", "))
	}
	if m.Traceable != "" {
		out = append(out, "traceable: "+m.Traceable)
	}
	for _, a := range m.Attach {
		l := a.Kind + ": " + a.Supported
		if a.Reason != "" {
			l += " (" + a.Reason + ")"
		}
		out = append(out, l)
	}
	out = append(out, m.Details...)
	if m.Doc != "" {
		out = append(out, strings.Split(strings.TrimRight(m.Doc, "\n"), "\n")...)
	}
	return out
}
