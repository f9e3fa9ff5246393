// Package kb is the kernel knowledge base: facts about one target kernel
// (helpers, kfuncs, kernel functions, tracepoints, raw tracepoints, types,
// supported attach kinds), libbpf's SEC() names and bpftrace's language
// facts. It is built from BTF, tracefs, kallsyms, installed headers and
// probes of the running kernel, cached on disk, and loaded fast. Checks ask
// the kb; they never read the machine themselves.
package kb

import (
	"slices"
	"sort"
	"strings"
	"sync"
)

// SchemaVersion changes whenever the on-disk format or the meaning of a
// fact changes; a cache with another schema is rebuilt.
const SchemaVersion = 5

// Tri is a three-valued answer. Unknown is not No: when the kb could not
// read a source, checks must not report an error from its silence.
type Tri int8

const (
	Unknown Tri = iota
	Yes
	No
)

func (t Tri) String() string {
	switch t {
	case Yes:
		return "yes"
	case No:
		return "no"
	}
	return "unknown"
}

// Where a fact came from.
const (
	FromBTF      = "btf"
	FromTracefs  = "tracefs"
	FromKallsyms = "kallsyms"
	FromHeaders  = "headers"
	FromProbe    = "probe"
	FromSnapshot = "snapshot"
	FromBuiltin  = "builtin"
	FromSysfs    = "sysfs"
)

// Meta describes the kernel a kb was built for.
type Meta struct {
	Schema     int
	Kernel     string // kernel release, e.g. 6.18.44
	Machine    string // uname machine, e.g. x86_64
	Source     string // "host", "btf-file", "snapshot"
	BTFSHA256  string
	BuiltAt    string // RFC 3339
	Privileged bool   // probes ran as root with BPF
	// Sources says, per fact family, where the facts came from or why they
	// are missing ("tracefs: not mounted").
	Sources map[string]string
	// Reference is true for the embedded snapshot used when the target has
	// no BTF: findings then carry KG001.
	Reference bool
}

// Param is a function parameter.
type Param struct {
	Name string
	Type string // C spelling, e.g. "struct sock *"
	Ref  string // struct/union the type refers to through pointers/typedefs ("sock"), if any
}

// Func is a kernel function, helper or kfunc prototype.
type Func struct {
	Name   string
	Return string
	Params []Param
	// Variadic is set for prototypes ending in "...".
	Variadic bool
}

// Proto formats f as a C prototype.
func (f *Func) Proto() string {
	var b strings.Builder
	b.WriteString(f.Return)
	if !strings.HasSuffix(f.Return, "*") {
		b.WriteByte(' ')
	}
	b.WriteString(f.Name)
	b.WriteByte('(')
	for i, p := range f.Params {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.Type)
		if p.Name != "" {
			if !strings.HasSuffix(p.Type, "*") {
				b.WriteByte(' ')
			}
			b.WriteString(p.Name)
		}
	}
	if f.Variadic {
		if len(f.Params) > 0 {
			b.WriteString(", ")
		}
		b.WriteString("...")
	}
	if len(f.Params) == 0 && !f.Variadic {
		b.WriteString("void")
	}
	b.WriteByte(')')
	return b.String()
}

// Helper is a BPF helper function.
type Helper struct {
	Name string // bpf_map_lookup_elem
	ID   int
	Func *Func // prototype from the installed headers, nil when unknown
	// GPLOnly: Yes/No when probed or known, Unknown otherwise.
	GPLOnly Tri
	// Allowed maps a program type name (as in ProgTypes) to whether the
	// program type may call the helper on the target kernel.
	Allowed map[string]Tri
	Source  string
}

// Kfunc is a kernel function exported to BPF programs.
type Kfunc struct {
	Func
	Flags []string // decl tags other than bpf_kfunc
}

// Field is a tracepoint format field.
type Field struct {
	Name   string
	Type   string
	Offset int
	Size   int
	Signed bool
}

// Tracepoint is a perf tracepoint with its format.
type Tracepoint struct {
	Category string
	Name     string
	ID       int
	Fields   []Field // without the common_* fields
	// Struct is the BTF context struct (trace_event_raw_<class>), when known.
	Struct string
	Source string
}

// Member is a struct or union member.
type Member struct {
	Name    string // empty for anonymous members
	Type    string // C spelling
	Ref     string // struct/union reached through the type ("struct sock" -> "sock"), if any
	RefKind string // "struct" or "union" when Ref is set
	Pointer bool   // whether Type is a pointer (after typedefs)
	Offset  int    // in bits
	Bits    int    // bitfield size, 0 if not a bitfield
}

// Type is a named BTF type.
type Type struct {
	Kind    string // struct, union, enum, typedef, int, ...
	Name    string
	Size    int
	Members []Member // struct/union members; enum values as Members with Type "const"
	// Target is the C spelling a typedef stands for.
	Target string
	Ref    string // for typedefs of struct/union: the struct/union name
}

// Attach kinds the kb records support for.
const (
	AttachKprobe      = "kprobe"
	AttachUprobe      = "uprobe"
	AttachTracepoint  = "tracepoint"
	AttachRawTP       = "raw_tp"
	AttachTpBTF       = "tp_btf"
	AttachFentry      = "fentry"
	AttachFexit       = "fexit"
	AttachLSM         = "lsm"
	AttachPerfEvent   = "perf_event"
	AttachXDP         = "xdp"
	AttachTC          = "tc"
	AttachCgroupSKB   = "cgroup_skb"
	AttachIter        = "iter"
	AttachKprobeMulti = "kprobe_multi"
	AttachUSDT        = "usdt"
)

// Support records whether the target kernel supports an attach kind.
type Support struct {
	Supported Tri
	Reason    string // what was observed: "no kprobe PMU and no kprobe_events"
	Source    string
}

// Data is everything a kb holds; it is what is serialised.
type Data struct {
	Meta           Meta
	Helpers        []Helper
	Kfuncs         []Kfunc
	Funcs          []Func   // BTF functions (kernel functions with prototypes)
	Kallsyms       []string // sorted text symbol names; nil when unreadable
	Tracepoints    []Tracepoint
	RawTracepoints []string // sorted names from btf_trace_* typedefs
	Types          []Type
	Attach         map[string]Support
	// ProgTypes is the list of program type names helper availability was
	// probed for.
	ProgTypes []string
}

// KB is a loaded knowledge base with its indexes. It is safe for
// concurrent use.
type KB struct {
	Data
	helperIdx map[string]int
	kfuncIdx  map[string]int
	funcIdx   map[string]int
	tpIdx     map[string]int // "cat:name"
	tpByName  map[string][]int
	rawIdx    map[string]bool
	typeIdx   map[string]int // "struct:name", "union:name", "typedef:name", "enum:name"
	anyType   map[string]int // name -> first type with that name, structs first

	namesOnce sync.Once
	names     map[string]*nameIndex

	dir      string // where it was loaded from or saved to
	buildBTF string // the BTF file a fresh build read
	cached   bool   // dir is a cache entry: its files are read only when owned by the user
}

// New indexes d.
func New(d Data) *KB {
	k := &KB{Data: d}
	k.index()
	return k
}

func (k *KB) index() {
	k.helperIdx = make(map[string]int, len(k.Helpers))
	for i, h := range k.Helpers {
		k.helperIdx[h.Name] = i
	}
	k.kfuncIdx = make(map[string]int, len(k.Kfuncs))
	for i, f := range k.Kfuncs {
		k.kfuncIdx[f.Name] = i
	}
	k.funcIdx = make(map[string]int, len(k.Funcs))
	for i, f := range k.Funcs {
		k.funcIdx[f.Name] = i
	}
	k.tpIdx = make(map[string]int, len(k.Tracepoints))
	k.tpByName = make(map[string][]int, len(k.Tracepoints))
	for i, t := range k.Tracepoints {
		k.tpIdx[t.Category+":"+t.Name] = i
		k.tpByName[t.Name] = append(k.tpByName[t.Name], i)
	}
	k.rawIdx = make(map[string]bool, len(k.RawTracepoints))
	for _, n := range k.RawTracepoints {
		k.rawIdx[n] = true
	}
	k.typeIdx = make(map[string]int, len(k.Types))
	k.anyType = make(map[string]int, len(k.Types))
	for i, t := range k.Types {
		key := t.Kind + ":" + t.Name
		if _, dup := k.typeIdx[key]; !dup {
			k.typeIdx[key] = i
		}
		if j, ok := k.anyType[t.Name]; !ok || (k.Types[j].Kind != "struct" && t.Kind == "struct") {
			k.anyType[t.Name] = i
		}
	}
	if k.Attach == nil {
		k.Attach = map[string]Support{}
	}
}

// Helper looks up a helper by name (bpf_ prefix included).
func (k *KB) Helper(name string) (*Helper, bool) {
	i, ok := k.helperIdx[name]
	if !ok {
		return nil, false
	}
	return &k.Helpers[i], true
}

// Kfunc looks up a kfunc.
func (k *KB) Kfunc(name string) (*Kfunc, bool) {
	i, ok := k.kfuncIdx[name]
	if !ok {
		return nil, false
	}
	return &k.Kfuncs[i], true
}

// Func looks up a kernel function with a BTF prototype.
func (k *KB) Func(name string) (*Func, bool) {
	i, ok := k.funcIdx[name]
	if !ok {
		return nil, false
	}
	return &k.Funcs[i], true
}

// KernelFunc answers whether a kernel function exists on the target: Yes
// when BTF or kallsyms has it; No when it is in neither and kallsyms was
// readable or BTF is authoritative; Unknown otherwise. The prototype is
// returned when BTF has one.
func (k *KB) KernelFunc(name string) (*Func, Tri) {
	if f, ok := k.Func(name); ok {
		return f, Yes
	}
	if k.Kallsyms != nil {
		if _, ok := slices.BinarySearch(k.Kallsyms, name); ok {
			return nil, Yes
		}
		// Compiler clones such as foo.isra.0 exist for foo.
		return nil, No
	}
	if len(k.Funcs) > 0 {
		return nil, No
	}
	return nil, Unknown
}

// HasKallsyms reports whether kallsyms was readable when the kb was built.
func (k *KB) HasKallsyms() bool { return k.Kallsyms != nil }

// Tracepoint looks up category:name. When tracefs was not readable the
// tracepoint list is empty; TracepointKnown tells whether absence means no.
func (k *KB) Tracepoint(category, name string) (*Tracepoint, bool) {
	i, ok := k.tpIdx[category+":"+name]
	if !ok {
		return nil, false
	}
	return &k.Tracepoints[i], true
}

// TracepointsNamed returns the tracepoints with name in any category.
func (k *KB) TracepointsNamed(name string) []*Tracepoint {
	var out []*Tracepoint
	for _, i := range k.tpByName[name] {
		out = append(out, &k.Tracepoints[i])
	}
	return out
}

// TracepointsKnown reports whether the tracepoint list is authoritative.
func (k *KB) TracepointsKnown() bool { return len(k.Tracepoints) > 0 }

// RawTracepoint answers whether a raw (BTF) tracepoint exists.
func (k *KB) RawTracepoint(name string) Tri {
	if k.rawIdx[name] {
		return Yes
	}
	if len(k.RawTracepoints) == 0 {
		return Unknown
	}
	return No
}

// Type looks up a named type of a kind ("struct", "union", "enum",
// "typedef"); kind "" finds any, structs first.
func (k *KB) Type(kind, name string) (*Type, bool) {
	var i int
	var ok bool
	if kind == "" {
		i, ok = k.anyType[name]
	} else {
		i, ok = k.typeIdx[kind+":"+name]
	}
	if !ok {
		return nil, false
	}
	return &k.Types[i], true
}

// Resolve follows typedefs from name to the struct or union it names.
func (k *KB) Resolve(name string) (*Type, bool) {
	for range 8 {
		t, ok := k.Type("", name)
		if !ok {
			return nil, false
		}
		if t.Kind != "typedef" {
			return t, true
		}
		if t.Ref == "" {
			return t, true
		}
		name = t.Ref
	}
	return nil, false
}

// Member finds a member of a struct or union by name, looking through
// anonymous struct and union members as C does. The offset is adjusted to
// the outer type.
func (k *KB) Member(t *Type, name string) (*Member, bool) {
	return k.member(t, name, 0)
}

func (k *KB) member(t *Type, name string, depth int) (*Member, bool) {
	if t == nil || depth > 8 {
		return nil, false
	}
	for i := range t.Members {
		m := &t.Members[i]
		if m.Name == name {
			return m, true
		}
	}
	for i := range t.Members {
		m := &t.Members[i]
		if m.Name == "" && m.Ref != "" {
			inner, ok := k.Type(m.RefKind, m.Ref)
			if !ok {
				continue
			}
			if found, ok := k.member(inner, name, depth+1); ok {
				c := *found
				c.Offset += m.Offset
				return &c, true
			}
		}
	}
	return nil, false
}

// MemberNames lists the member names of t, anonymous members flattened.
func (k *KB) MemberNames(t *Type) []string {
	var out []string
	var walk func(t *Type, depth int)
	walk = func(t *Type, depth int) {
		if depth > 8 {
			return
		}
		for _, m := range t.Members {
			if m.Name != "" {
				out = append(out, m.Name)
			} else if m.Ref != "" {
				if inner, ok := k.Type(m.RefKind, m.Ref); ok {
					walk(inner, depth+1)
				}
			}
		}
	}
	if t != nil {
		walk(t, 0)
	}
	return out
}

// AttachSupport answers whether the target kernel supports an attach kind.
func (k *KB) AttachSupport(kind string) Support {
	if s, ok := k.Attach[kind]; ok {
		return s
	}
	return Support{Supported: Unknown}
}

// HelperAllowed answers whether progType may call helper on the target.
func (k *KB) HelperAllowed(helper, progType string) Tri {
	h, ok := k.Helper(helper)
	if !ok {
		return No
	}
	if h.Allowed == nil {
		return Unknown
	}
	return h.Allowed[progType]
}

// FuncsMatching returns kernel text symbols (or BTF functions when
// kallsyms is unreadable) matching a glob pattern with '*' and '?'.
// The bool is false when the answer is not authoritative.
func (k *KB) FuncsMatching(pattern string, limit int) ([]string, bool) {
	// Compiler clones (foo.constprop.0) are recorded by their base name.
	if i := strings.IndexByte(pattern, '.'); i > 0 {
		pattern = pattern[:i]
	}
	src := k.Kallsyms
	if src == nil {
		src = make([]string, 0, len(k.Funcs))
		for _, f := range k.Funcs {
			src = append(src, f.Name)
		}
		sort.Strings(src)
	}
	var out []string
	for _, s := range src {
		if Glob(pattern, s) {
			out = append(out, s)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
	}
	return out, len(src) > 0
}

// Glob matches s against a pattern with '*' (any run) and '?' (one byte).
func Glob(pattern, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextPx >= 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}
