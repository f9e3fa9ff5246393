// Package kb is the kernel knowledge base: facts about one target kernel
// (helpers, kfuncs, kernel functions, tracepoints, raw tracepoints, types,
// supported attach kinds), libbpf's SEC() names and bpftrace's language
// facts. It is built from BTF, tracefs, kallsyms, installed headers and
// probes of the running kernel, cached on disk, and loaded fast. Checks ask
// the kb; they never read the machine themselves.
package kb

import (
	"encoding/binary"
	"hash/crc32"
	"iter"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// SchemaVersion changes whenever the on-disk format or the meaning of a
// fact changes; a cache with another schema is rebuilt. Schema 6 is the
// memory-mapped format of format.go (schema 5 and before were gob);
// schema 7 adds the profile name, the upstream version, the kernel
// config and the traceable-function list; schema 8 the functions of
// modules.
const SchemaVersion = 8

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
	FromImage    = "image"  // a kernel image's own tables (kallsyms, .BTF_ids, .data)
	FromConfig   = "config" // the kernel's build configuration
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
	// Name is a named profile's name ("debian-6.1"), "" otherwise.
	Name string
	// Version is the upstream version when the build knew it more
	// precisely than Kernel says ("6.1.176" for "6.1.0-50-amd64"); see
	// KB.Version.
	Version string
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
	// Config is the kernel's build configuration as sorted "CONFIG_X=v"
	// lines (options set to n are absent); nil when unknown.
	Config []string
	// Traceable is the sorted list of functions ftrace can attach to
	// (available_filter_functions, or an image's text symbols that BTF
	// describes); nil when unknown.
	Traceable []string
	// ModuleFuncs are the functions of the kernel's modules, loaded or
	// not, as sorted "name\tmodule" entries (a profile of a distribution
	// kernel, whose modules come in its package); nil when unknown.
	ModuleFuncs []string
}

// KB is a loaded knowledge base. Its facts stay in the kb file format
// (format.go), memory-mapped or in memory, and records are decoded when a
// lookup asks for them. It is safe for concurrent use.
type KB struct {
	// Meta, Attach and ProgTypes are small and decoded when the kb opens.
	Meta   Meta
	Attach map[string]Support
	// ProgTypes is the list of program type names helper availability was
	// probed for.
	ProgTypes []string

	file    []byte // the whole kb file
	secs    *[numSections]section
	mapped  bool   // file is a read-only mapping
	strs    []byte // string table
	hasSyms bool
	fams    [numFams]family
	cache   [numFams]sync.Map // record id -> decoded record

	helperIdx, kfuncIdx, funcIdx index
	tpIdx, tpNameIdx             index // "category:name"; name
	typeIdx                      index // name
	rawIdx                       index
	kallsyms, rawList            list
	config, traceable, modFuncs  list

	names [numNameFamilies]struct {
		once sync.Once
		x    *nameIndex
	}
	damage atomic.Pointer[error]

	dir      string // where it was loaded from or saved to
	buildBTF string // the BTF file a fresh build read
	btfRaw   []byte // the BTF a build from a kernel image read (no file of its own)
	// packagedImage is the boot image a build from packages read out of
	// them: SaveProfile keeps it beside the profile, for the microVM.
	packagedImage []byte
	built         *ImageOptions // what a build from a kernel image read
	cached        bool          // dir is a cache entry: its files are read only when owned by the user
}

// Record families.
const (
	famHelper = iota
	famKfunc
	famFunc
	famTp
	famType
	numFams
)

// family is a record area with the offset of each record.
type family struct {
	recs, offs []byte
	n          int
}

func (f *family) record(i int) ([]byte, bool) {
	if i < 0 || i >= f.n {
		return nil, false
	}
	s, e := uint64(binary.LittleEndian.Uint32(f.offs[4*i:])), uint64(len(f.recs))
	if i+1 < f.n {
		e = uint64(binary.LittleEndian.Uint32(f.offs[4*i+4:]))
	}
	if s > e || e > uint64(len(f.recs)) {
		return nil, false
	}
	return f.recs[s:e], true
}

// index is a table of (string offset, record id) sorted by string, then id.
type index struct {
	b []byte
	n int
}

// list is a table of string offsets.
type list struct {
	b []byte
	n int
}

// New indexes d: it is serialised to the kb file format in memory, so a
// built kb answers exactly as a loaded one.
func New(d Data) *KB {
	b, err := encodeData(&d)
	if err != nil {
		// Only a kb over 4 GiB cannot be encoded.
		panic(err)
	}
	k, err := open(b)
	if err != nil {
		panic("kb: reopening a kb just encoded: " + err.Error())
	}
	return k
}

// open reads the header, section table and meta section of a kb file;
// everything else is read when asked for.
func open(b []byte) (*KB, error) {
	secs, err := parse(b)
	if err != nil {
		return nil, err
	}
	m, err := decodeMeta(secs[secMeta].b)
	if err != nil {
		return nil, err
	}
	k := &KB{Meta: m.meta, Attach: m.attach, ProgTypes: m.progTypes, hasSyms: m.hasSyms, file: b, secs: secs, strs: secs[secStrings].b}
	fam := func(recs, offs int) family {
		return family{recs: secs[recs].b, offs: secs[offs].b, n: secs[offs].n}
	}
	k.fams[famHelper] = fam(secHelperRecs, secHelperOffs)
	k.fams[famKfunc] = fam(secKfuncRecs, secKfuncOffs)
	k.fams[famFunc] = fam(secFuncRecs, secFuncOffs)
	k.fams[famTp] = fam(secTpRecs, secTpOffs)
	k.fams[famType] = fam(secTypeRecs, secTypeOffs)
	idx := func(s int) index { return index{b: secs[s].b, n: secs[s].n} }
	k.helperIdx, k.kfuncIdx, k.funcIdx = idx(secHelperIdx), idx(secKfuncIdx), idx(secFuncIdx)
	k.tpIdx, k.tpNameIdx, k.typeIdx, k.rawIdx = idx(secTpIdx), idx(secTpNameIdx), idx(secTypeIdx), idx(secRawIdx)
	k.kallsyms = list{b: secs[secKallsyms].b, n: secs[secKallsyms].n}
	k.rawList = list{b: secs[secRawList].b, n: secs[secRawList].n}
	k.config = list{b: secs[secConfig].b, n: secs[secConfig].n}
	k.traceable = list{b: secs[secTraceable].b, n: secs[secTraceable].n}
	k.modFuncs = list{b: secs[secModFuncs].b, n: secs[secModFuncs].n}
	if !k.hasSyms && k.kallsyms.n > 0 {
		return nil, errCorrupt("kallsyms listed but marked unreadable")
	}
	if k.Attach == nil {
		k.Attach = map[string]Support{}
	}
	return k, nil
}

// Damage is the first damage found inside the kb file by a lookup (nil
// when none): a record that cannot be decoded is answered as absent.
func (k *KB) Damage() error {
	if p := k.damage.Load(); p != nil {
		return *p
	}
	return nil
}

func (k *KB) damaged(what string, i int) {
	err := errCorrupt("%s record %d", what, i)
	k.damage.CompareAndSwap(nil, &err)
}

// Verify checks what opening leaves to lookups: every section's checksum,
// every record and every index entry.
func (k *KB) Verify() error {
	for i, s := range k.secs {
		if crc32.Checksum(s.b, crcTable) != s.crc {
			return errCorrupt("section %d checksum mismatch", i)
		}
	}
	for i := range k.fams[famHelper].n {
		if _, ok := k.helperAt(i, false); !ok {
			return k.Damage()
		}
	}
	for i := range k.fams[famKfunc].n {
		if _, ok := k.kfuncAt(i, false); !ok {
			return k.Damage()
		}
	}
	for i := range k.fams[famFunc].n {
		if _, ok := k.funcAt(i, false); !ok {
			return k.Damage()
		}
	}
	for i := range k.fams[famTp].n {
		if _, ok := k.tpAt(i, false); !ok {
			return k.Damage()
		}
	}
	for i := range k.fams[famType].n {
		if _, ok := k.typeAt(i, false); !ok {
			return k.Damage()
		}
	}
	for _, x := range []struct {
		idx *index
		n   int
	}{{&k.helperIdx, k.NumHelpers()}, {&k.kfuncIdx, k.NumKfuncs()}, {&k.funcIdx, k.NumFuncs()}, {&k.tpIdx, k.NumTracepoints()},
		{&k.tpNameIdx, k.NumTracepoints()}, {&k.typeIdx, k.NumTypes()}, {&k.rawIdx, k.NumRawTracepoints()}} {
		for e := range x.idx.n {
			key, id := x.idx.entry(e)
			if _, ok := strAt(k.strs, key); !ok || id >= x.n {
				return errCorrupt("index entry %d", e)
			}
		}
	}
	for _, l := range []*list{&k.kallsyms, &k.rawList, &k.config, &k.traceable, &k.modFuncs} {
		for i := range l.n {
			if _, ok := strAt(k.strs, uint64(binary.LittleEndian.Uint32(l.b[4*i:]))); !ok {
				return errCorrupt("name list entry %d", i)
			}
		}
	}
	return nil
}

var famNames = [numFams]string{"helper", "kfunc", "function", "tracepoint", "type"}

// at decodes record i of a family, from the cache when decoded before;
// keep caches it.
func at[T any](k *KB, fam, i int, dec func(*rd, *T), keep bool) (*T, bool) {
	if v, ok := k.cache[fam].Load(i); ok {
		return v.(*T), true
	}
	b, ok := k.fams[fam].record(i)
	if !ok {
		k.damaged(famNames[fam], i)
		return nil, false
	}
	x := new(T)
	r := rd{b: b, str: k.strs}
	dec(&r, x)
	if r.bad || len(r.b) != 0 {
		k.damaged(famNames[fam], i)
		return nil, false
	}
	if keep {
		v, _ := k.cache[fam].LoadOrStore(i, x)
		return v.(*T), true
	}
	return x, true
}

func (k *KB) helperAt(i int, keep bool) (*Helper, bool) {
	return at(k, famHelper, i, (*rd).helper, keep)
}
func (k *KB) kfuncAt(i int, keep bool) (*Kfunc, bool) { return at(k, famKfunc, i, (*rd).kfunc, keep) }
func (k *KB) funcAt(i int, keep bool) (*Func, bool)   { return at(k, famFunc, i, (*rd).fn, keep) }
func (k *KB) tpAt(i int, keep bool) (*Tracepoint, bool) {
	return at(k, famTp, i, (*rd).tracepoint, keep)
}
func (k *KB) typeAt(i int, keep bool) (*Type, bool) { return at(k, famType, i, (*rd).typ, keep) }

// lead reads the first two strings of a record (names and kinds lead
// every record) without decoding the rest.
func (k *KB) lead(fam, i int) (a, b []byte, ok bool) {
	rec, ok := k.fams[fam].record(i)
	if !ok {
		return nil, nil, false
	}
	r := rd{b: rec, str: k.strs}
	a = r.sb()
	if fam == famTp || fam == famType {
		b = r.sb()
	}
	return a, b, !r.bad
}

func (x *index) entry(i int) (key uint64, id int) {
	e := x.b[8*i:]
	return uint64(binary.LittleEndian.Uint32(e)), int(binary.LittleEndian.Uint32(e[4:]))
}

func (k *KB) key(x *index, i int) []byte {
	off, _ := x.entry(i)
	b, _ := strAt(k.strs, off)
	return b
}

// find returns the range of index entries whose key is key.
func (k *KB) find(x *index, key string) (lo, hi int) {
	lo = sort.Search(x.n, func(i int) bool { return string(k.key(x, i)) >= key })
	hi = lo
	for hi < x.n && string(k.key(x, hi)) == key {
		hi++
	}
	return lo, hi
}

// last is the id of the last record named key (a later record of the
// same name wins, as it did when the kb was a map).
func (k *KB) last(x *index, key string) (int, bool) {
	lo, hi := k.find(x, key)
	if lo == hi {
		return 0, false
	}
	_, id := x.entry(hi - 1)
	return id, true
}

func (l *list) at(strs []byte, i int) []byte {
	b, _ := strAt(strs, uint64(binary.LittleEndian.Uint32(l.b[4*i:])))
	return b
}

// view is b as a string for a comparison that does not keep it.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Helper looks up a helper by name (bpf_ prefix included).
func (k *KB) Helper(name string) (*Helper, bool) {
	i, ok := k.last(&k.helperIdx, name)
	if !ok {
		return nil, false
	}
	return k.helperAt(i, true)
}

// Kfunc looks up a kfunc.
func (k *KB) Kfunc(name string) (*Kfunc, bool) {
	i, ok := k.last(&k.kfuncIdx, name)
	if !ok {
		return nil, false
	}
	return k.kfuncAt(i, true)
}

// Func looks up a kernel function with a BTF prototype.
func (k *KB) Func(name string) (*Func, bool) {
	i, ok := k.last(&k.funcIdx, name)
	if !ok {
		return nil, false
	}
	return k.funcAt(i, true)
}

// KernelFunc answers whether a kernel function exists on the target: Yes
// when BTF or kallsyms has it, or a module of the kernel's (ModuleOf); No when it is in neither and kallsyms was
// readable or BTF is authoritative; Unknown otherwise. The prototype is
// returned when BTF has one.
func (k *KB) KernelFunc(name string) (*Func, Tri) {
	if f, ok := k.Func(name); ok {
		return f, Yes
	}
	if k.hasSyms {
		i := sort.Search(k.kallsyms.n, func(i int) bool { return string(k.kallsyms.at(k.strs, i)) >= name })
		if i < k.kallsyms.n && string(k.kallsyms.at(k.strs, i)) == name {
			return nil, Yes
		}
		// Compiler clones such as foo.isra.0 exist for foo.
		if len(k.ModuleOf(name)) > 0 {
			return nil, Yes
		}
		return nil, No
	}
	if len(k.ModuleOf(name)) > 0 {
		return nil, Yes
	}
	if k.NumFuncs() > 0 {
		return nil, No
	}
	return nil, Unknown
}

// HasKallsyms reports whether kallsyms was readable when the kb was built.
func (k *KB) HasKallsyms() bool { return k.hasSyms }

// Tracepoint looks up category:name. When tracefs was not readable the
// tracepoint list is empty; TracepointKnown tells whether absence means no.
func (k *KB) Tracepoint(category, name string) (*Tracepoint, bool) {
	i, ok := k.last(&k.tpIdx, category+":"+name)
	if !ok {
		return nil, false
	}
	return k.tpAt(i, true)
}

// TracepointsNamed returns the tracepoints with name in any category.
func (k *KB) TracepointsNamed(name string) []*Tracepoint {
	var out []*Tracepoint
	lo, hi := k.find(&k.tpNameIdx, name)
	for e := lo; e < hi; e++ {
		_, i := k.tpNameIdx.entry(e)
		if t, ok := k.tpAt(i, true); ok {
			out = append(out, t)
		}
	}
	return out
}

// TracepointsKnown reports whether the tracepoint list is authoritative.
func (k *KB) TracepointsKnown() bool { return k.NumTracepoints() > 0 }

// RawTracepoint answers whether a raw (BTF) tracepoint exists.
func (k *KB) RawTracepoint(name string) Tri {
	if lo, hi := k.find(&k.rawIdx, name); lo < hi {
		return Yes
	}
	if k.rawList.n == 0 {
		return Unknown
	}
	return No
}

// Type looks up a named type of a kind ("struct", "union", "enum",
// "typedef"); kind "" finds any, structs first.
func (k *KB) Type(kind, name string) (*Type, bool) {
	lo, hi := k.find(&k.typeIdx, name)
	found := -1
	for e := lo; e < hi; e++ {
		_, i := k.typeIdx.entry(e)
		tk, _, ok := k.lead(famType, i)
		if !ok {
			continue
		}
		if kind == "" && found < 0 {
			found = i
		}
		if string(tk) == kind || (kind == "" && string(tk) == "struct") {
			found = i
			break
		}
	}
	if found < 0 {
		return nil, false
	}
	return k.typeAt(found, true)
}

// Counts of each family.
func (k *KB) NumHelpers() int        { return k.fams[famHelper].n }
func (k *KB) NumKfuncs() int         { return k.fams[famKfunc].n }
func (k *KB) NumFuncs() int          { return k.fams[famFunc].n }
func (k *KB) NumTracepoints() int    { return k.fams[famTp].n }
func (k *KB) NumTypes() int          { return k.fams[famType].n }
func (k *KB) NumKallsyms() int       { return k.kallsyms.n }
func (k *KB) NumRawTracepoints() int { return k.rawList.n }

// each yields the records of a family in the order the kb was built,
// decoding each (records decoded before come from the cache).
func each[T any](k *KB, fam int, get func(int, bool) (*T, bool)) iter.Seq[*T] {
	return func(yield func(*T) bool) {
		for i := range k.fams[fam].n {
			if x, ok := get(i, false); ok && !yield(x) {
				return
			}
		}
	}
}

// Helpers yields every helper; Kfuncs, Funcs, Tracepoints and Types
// likewise, in the order the kb was built. They decode every record: to
// scan names, use FuncNames, TracepointNames or TypeNames.
func (k *KB) Helpers() iter.Seq[*Helper]         { return each(k, famHelper, k.helperAt) }
func (k *KB) Kfuncs() iter.Seq[*Kfunc]           { return each(k, famKfunc, k.kfuncAt) }
func (k *KB) Funcs() iter.Seq[*Func]             { return each(k, famFunc, k.funcAt) }
func (k *KB) Tracepoints() iter.Seq[*Tracepoint] { return each(k, famTp, k.tpAt) }
func (k *KB) Types() iter.Seq[*Type]             { return each(k, famType, k.typeAt) }

// FuncNames yields the names of the BTF functions in kb order.
func (k *KB) FuncNames() iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := range k.fams[famFunc].n {
			if a, _, ok := k.lead(famFunc, i); ok && !yield(string(a)) {
				return
			}
		}
	}
}

// FuncsWithPrefix yields, in kb order, the BTF functions whose name
// starts with prefix, decoding only those.
func (k *KB) FuncsWithPrefix(prefix string) iter.Seq[*Func] {
	return func(yield func(*Func) bool) {
		for i := range k.fams[famFunc].n {
			if a, _, ok := k.lead(famFunc, i); !ok || !strings.HasPrefix(view(a), prefix) {
				continue
			}
			if f, ok := k.funcAt(i, false); ok && !yield(f) {
				return
			}
		}
	}
}

// TracepointNames yields each tracepoint's category and name in kb order.
func (k *KB) TracepointNames() iter.Seq2[string, string] {
	return k.pairs(famTp)
}

// TypeNames yields each type's kind and name in kb order.
func (k *KB) TypeNames() iter.Seq2[string, string] {
	return k.pairs(famType)
}

func (k *KB) pairs(fam int) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for i := range k.fams[fam].n {
			if a, b, ok := k.lead(fam, i); ok && !yield(string(a), string(b)) {
				return
			}
		}
	}
}

// RawTracepoints yields the raw tracepoint names (sorted).
func (k *KB) RawTracepoints() iter.Seq[string] { return k.strings(&k.rawList) }

// Kallsyms yields the kernel text symbols (sorted); none when kallsyms was
// unreadable (HasKallsyms).
func (k *KB) Kallsyms() iter.Seq[string] { return k.strings(&k.kallsyms) }

func (k *KB) strings(l *list) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := range l.n {
			if !yield(string(l.at(k.strs, i))) {
				return
			}
		}
	}
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
	// Kallsyms are sorted; the function index is sorted by name.
	n, name := k.kallsyms.n, func(i int) []byte { return k.kallsyms.at(k.strs, i) }
	if !k.hasSyms {
		n, name = k.funcIdx.n, func(i int) []byte { return k.key(&k.funcIdx, i) }
	}
	var out []string
	for i := range n {
		if s := name(i); Glob(pattern, view(s)) {
			out = append(out, string(s))
			if limit > 0 && len(out) >= limit {
				break
			}
		}
	}
	return out, n > 0
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
