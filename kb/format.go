package kb

// The kb file format. A kb is one file, read in place (memory-mapped from
// the cache or a profile, or a byte slice for New and the snapshot): a
// check decodes only the records it looks up, so opening costs the same
// whatever the size of the kernel.
//
// Layout, little-endian:
//
//	header   magic "KGENTKB\x00", version uint32 (= SchemaVersion),
//	         section count uint32, file size uint64
//	table    per section: offset uint64, length uint64, count uint32, crc32c uint32
//	sections at their offsets, in the order of the sec* constants
//
// Strings live once in the string table (uvarint length, bytes) and
// records refer to them by offset. Each record family (helpers, kfuncs,
// functions, tracepoints, types) has a record area, a table of record
// offsets (uint32 per record, in the order the builder produced them) and
// name indexes: (string offset, record id) pairs sorted by name, then id,
// searched by bisection. Kallsyms are a list of string offsets in their
// (sorted) order; raw tracepoints a list plus an index. The meta section
// (Meta, Attach, ProgTypes) is self-contained and decoded at open.
//
// Opening checks the header, the section table, every section's bounds
// and the sizes of its fixed-width tables, and the meta section's
// checksum: truncation or a damaged header is an error. Records and
// indexes are bounds-checked as they are read, so damage inside them can
// make a lookup fail but never reads out of bounds; Verify checks every
// section's checksum and decodes every record.

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"math"
	"slices"
)

const fileMagic = "KGENTKB\x00"

const (
	headerSize = 24
	secEntry   = 24
)

// Sections, in file order.
const (
	secStrings = iota
	secMeta
	secHelperRecs
	secHelperOffs
	secHelperIdx
	secKfuncRecs
	secKfuncOffs
	secKfuncIdx
	secFuncRecs
	secFuncOffs
	secFuncIdx
	secTpRecs
	secTpOffs
	secTpIdx     // "category:name"
	secTpNameIdx // name
	secTypeRecs
	secTypeOffs
	secTypeIdx // name
	secKallsyms
	secRawList
	secRawIdx
	secConfig    // "CONFIG_X=value", sorted
	secTraceable // sorted function names
	secModFuncs  // "name\tmodule", sorted
	numSections
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrSchema is wrapped by the error opening a kb file of another schema
// version gives (the message says which).
var ErrSchema = errors.New("kb schema differs")

type schemaError struct{ found int }

func (e *schemaError) Error() string {
	return fmt.Sprintf("kb schema %d, this kgent reads schema %d", e.found, SchemaVersion)
}
func (e *schemaError) Unwrap() error { return ErrSchema }

// errCorrupt wraps what is wrong with a damaged kb file.
func errCorrupt(format string, args ...any) error {
	return fmt.Errorf("corrupt kb: "+format, args...)
}

// ---- writing ----

type writer struct {
	strs   map[string]uint32
	strtab []byte
}

func (w *writer) intern(s string) uint32 {
	if o, ok := w.strs[s]; ok {
		return o
	}
	o := uint32(len(w.strtab))
	w.strtab = binary.AppendUvarint(w.strtab, uint64(len(s)))
	w.strtab = append(w.strtab, s...)
	w.strs[s] = o
	return o
}

// rec builds one record.
type rec struct {
	w *writer
	b []byte
}

func (r *rec) u(v uint64)  { r.b = binary.AppendUvarint(r.b, v) }
func (r *rec) i(v int)     { r.b = binary.AppendVarint(r.b, int64(v)) }
func (r *rec) s(v string)  { r.u(uint64(r.w.intern(v))) }
func (r *rec) is(v string) { r.u(uint64(len(v))); r.b = append(r.b, v...) } // inline
func (r *rec) bool(v bool) {
	if v {
		r.b = append(r.b, 1)
	} else {
		r.b = append(r.b, 0)
	}
}

// n writes a length so that nil and empty stay apart.
func (r *rec) n(l int, isNil bool) {
	if isNil {
		r.u(0)
	} else {
		r.u(uint64(l) + 1)
	}
}

func (r *rec) fn(f *Func) {
	r.s(f.Name)
	r.s(f.Return)
	r.n(len(f.Params), f.Params == nil)
	for _, p := range f.Params {
		r.s(p.Name)
		r.s(p.Type)
		r.s(p.Ref)
	}
	r.bool(f.Variadic)
}

func (r *rec) helper(h *Helper) {
	r.s(h.Name)
	r.i(h.ID)
	r.bool(h.Func != nil)
	if h.Func != nil {
		r.fn(h.Func)
	}
	r.i(int(h.GPLOnly))
	r.n(len(h.Allowed), h.Allowed == nil)
	for _, pt := range slices.Sorted(maps.Keys(h.Allowed)) {
		r.s(pt)
		r.i(int(h.Allowed[pt]))
	}
	r.s(h.Source)
}

func (r *rec) kfunc(f *Kfunc) {
	r.fn(&f.Func)
	r.n(len(f.Flags), f.Flags == nil)
	for _, s := range f.Flags {
		r.s(s)
	}
}

func (r *rec) tracepoint(t *Tracepoint) {
	r.s(t.Category)
	r.s(t.Name)
	r.i(t.ID)
	r.n(len(t.Fields), t.Fields == nil)
	for _, f := range t.Fields {
		r.s(f.Name)
		r.s(f.Type)
		r.i(f.Offset)
		r.i(f.Size)
		r.bool(f.Signed)
	}
	r.s(t.Struct)
	r.s(t.Source)
}

func (r *rec) typ(t *Type) {
	r.s(t.Kind)
	r.s(t.Name)
	r.i(t.Size)
	r.n(len(t.Members), t.Members == nil)
	for _, m := range t.Members {
		r.s(m.Name)
		r.s(m.Type)
		r.s(m.Ref)
		r.s(m.RefKind)
		r.bool(m.Pointer)
		r.i(m.Offset)
		r.i(m.Bits)
	}
	r.s(t.Target)
	r.s(t.Ref)
}

// meta is self-contained (inline strings) so Save can rewrite it alone.
func encodeMeta(m *Meta, hasSyms bool, attach map[string]Support, progTypes []string) []byte {
	r := rec{}
	r.i(m.Schema)
	r.is(m.Kernel)
	r.is(m.Machine)
	r.is(m.Source)
	r.is(m.BTFSHA256)
	r.is(m.BuiltAt)
	r.bool(m.Privileged)
	r.n(len(m.Sources), m.Sources == nil)
	for _, k := range slices.Sorted(maps.Keys(m.Sources)) {
		r.is(k)
		r.is(m.Sources[k])
	}
	r.bool(m.Reference)
	r.bool(hasSyms)
	r.n(len(attach), attach == nil)
	for _, k := range slices.Sorted(maps.Keys(attach)) {
		s := attach[k]
		r.is(k)
		r.i(int(s.Supported))
		r.is(s.Reason)
		r.is(s.Source)
	}
	r.n(len(progTypes), progTypes == nil)
	for _, p := range progTypes {
		r.is(p)
	}
	r.is(m.Name)
	r.is(m.Version)
	return r.b
}

type keyed struct {
	key string
	id  uint32
}

// family writes records and their offsets.
func (w *writer) family(n int, enc func(r *rec, i int)) (recs, offs []byte) {
	r := rec{w: w}
	offs = make([]byte, 0, 4*n)
	for i := range n {
		offs = binary.LittleEndian.AppendUint32(offs, uint32(len(r.b)))
		enc(&r, i)
	}
	return r.b, offs
}

// index writes (key, id) pairs sorted by key, then id.
func (w *writer) index(ks []keyed) []byte {
	slices.SortFunc(ks, func(a, b keyed) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	out := make([]byte, 0, 8*len(ks))
	for _, k := range ks {
		out = binary.LittleEndian.AppendUint32(out, w.intern(k.key))
		out = binary.LittleEndian.AppendUint32(out, k.id)
	}
	return out
}

func (w *writer) list(ss []string) []byte {
	out := make([]byte, 0, 4*len(ss))
	for _, s := range ss {
		out = binary.LittleEndian.AppendUint32(out, w.intern(s))
	}
	return out
}

// listOwn writes strings no record shares (module functions, config
// lines) straight into the string table, without the interning map.
func (w *writer) listOwn(ss []string) []byte {
	out := make([]byte, 0, 4*len(ss))
	for _, s := range ss {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(w.strtab)))
		w.strtab = binary.AppendUvarint(w.strtab, uint64(len(s)))
		w.strtab = append(w.strtab, s...)
	}
	return out
}

func names[T any](xs []T, name func(*T) string) []keyed {
	ks := make([]keyed, len(xs))
	for i := range xs {
		ks[i] = keyed{name(&xs[i]), uint32(i)}
	}
	return ks
}

// encodeData serialises d in the kb file format.
func encodeData(d *Data) ([]byte, error) {
	w := &writer{strs: map[string]uint32{}}
	w.intern("")
	var sec [numSections][]byte
	var cnt [numSections]int
	sec[secMeta] = encodeMeta(&d.Meta, d.Kallsyms != nil, d.Attach, d.ProgTypes)

	sec[secHelperRecs], sec[secHelperOffs] = w.family(len(d.Helpers), func(r *rec, i int) { r.helper(&d.Helpers[i]) })
	sec[secHelperIdx] = w.index(names(d.Helpers, func(h *Helper) string { return h.Name }))
	sec[secKfuncRecs], sec[secKfuncOffs] = w.family(len(d.Kfuncs), func(r *rec, i int) { r.kfunc(&d.Kfuncs[i]) })
	sec[secKfuncIdx] = w.index(names(d.Kfuncs, func(f *Kfunc) string { return f.Name }))
	sec[secFuncRecs], sec[secFuncOffs] = w.family(len(d.Funcs), func(r *rec, i int) { r.fn(&d.Funcs[i]) })
	sec[secFuncIdx] = w.index(names(d.Funcs, func(f *Func) string { return f.Name }))
	sec[secTpRecs], sec[secTpOffs] = w.family(len(d.Tracepoints), func(r *rec, i int) { r.tracepoint(&d.Tracepoints[i]) })
	sec[secTpIdx] = w.index(names(d.Tracepoints, func(t *Tracepoint) string { return t.Category + ":" + t.Name }))
	sec[secTpNameIdx] = w.index(names(d.Tracepoints, func(t *Tracepoint) string { return t.Name }))
	sec[secTypeRecs], sec[secTypeOffs] = w.family(len(d.Types), func(r *rec, i int) { r.typ(&d.Types[i]) })
	sec[secTypeIdx] = w.index(names(d.Types, func(t *Type) string { return t.Name }))
	sec[secKallsyms] = w.list(d.Kallsyms)
	sec[secRawList] = w.list(d.RawTracepoints)
	sec[secRawIdx] = w.index(names(d.RawTracepoints, func(s *string) string { return *s }))
	sec[secConfig] = w.listOwn(d.Config)
	sec[secTraceable] = w.list(d.Traceable)
	sec[secModFuncs] = w.listOwn(d.ModuleFuncs)
	sec[secStrings] = w.strtab

	cnt[secHelperOffs], cnt[secHelperIdx] = len(d.Helpers), len(d.Helpers)
	cnt[secKfuncOffs], cnt[secKfuncIdx] = len(d.Kfuncs), len(d.Kfuncs)
	cnt[secFuncOffs], cnt[secFuncIdx] = len(d.Funcs), len(d.Funcs)
	cnt[secTpOffs], cnt[secTpIdx], cnt[secTpNameIdx] = len(d.Tracepoints), len(d.Tracepoints), len(d.Tracepoints)
	cnt[secTypeOffs], cnt[secTypeIdx] = len(d.Types), len(d.Types)
	cnt[secKallsyms] = len(d.Kallsyms)
	cnt[secRawList], cnt[secRawIdx] = len(d.RawTracepoints), len(d.RawTracepoints)
	cnt[secConfig], cnt[secTraceable], cnt[secModFuncs] = len(d.Config), len(d.Traceable), len(d.ModuleFuncs)
	return assemble(&sec, &cnt)
}

func assemble(sec *[numSections][]byte, cnt *[numSections]int) ([]byte, error) {
	size := headerSize + numSections*secEntry
	for _, s := range sec {
		size += len(s)
	}
	if size > math.MaxUint32 {
		return nil, fmt.Errorf("kb of %d bytes is too large", size)
	}
	out := make([]byte, headerSize+numSections*secEntry, size)
	copy(out, fileMagic)
	binary.LittleEndian.PutUint32(out[8:], SchemaVersion)
	binary.LittleEndian.PutUint32(out[12:], numSections)
	binary.LittleEndian.PutUint64(out[16:], uint64(size))
	for i, s := range sec {
		e := out[headerSize+i*secEntry:]
		binary.LittleEndian.PutUint64(e, uint64(len(out)))
		binary.LittleEndian.PutUint64(e[8:], uint64(len(s)))
		binary.LittleEndian.PutUint32(e[16:], uint32(cnt[i]))
		binary.LittleEndian.PutUint32(e[20:], crc32.Checksum(s, crcTable))
		out = append(out, s...)
	}
	return out, nil
}

// ---- reading ----

type section struct {
	b   []byte
	n   int
	crc uint32
}

// parse checks the header and the section table of a kb file. It reads
// only the header, the table and the meta section.
func parse(b []byte) (*[numSections]section, error) {
	if len(b) < headerSize {
		if len(b) >= 8 && string(b[:8]) != fileMagic {
			return nil, errCorrupt("not a kb file")
		}
		return nil, errCorrupt("truncated (%d bytes)", len(b))
	}
	if string(b[:8]) != fileMagic {
		return nil, errCorrupt("not a kb file")
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != SchemaVersion {
		return nil, &schemaError{found: int(v)}
	}
	if n := binary.LittleEndian.Uint32(b[12:]); n != numSections {
		return nil, errCorrupt("%d sections, want %d", n, numSections)
	}
	if size := binary.LittleEndian.Uint64(b[16:]); size != uint64(len(b)) {
		return nil, errCorrupt("file is %d bytes, its header says %d (truncated?)", len(b), size)
	}
	if len(b) < headerSize+numSections*secEntry {
		return nil, errCorrupt("truncated section table")
	}
	var secs [numSections]section
	for i := range secs {
		e := b[headerSize+i*secEntry:]
		off, l := binary.LittleEndian.Uint64(e), binary.LittleEndian.Uint64(e[8:])
		if off < headerSize+numSections*secEntry || off > uint64(len(b)) || l > uint64(len(b))-off {
			return nil, errCorrupt("section %d out of bounds", i)
		}
		n := int(binary.LittleEndian.Uint32(e[16:]))
		s := section{b: b[off : off+l], n: n, crc: binary.LittleEndian.Uint32(e[20:])}
		width := 0
		switch i {
		case secHelperOffs, secKfuncOffs, secFuncOffs, secTpOffs, secTypeOffs, secKallsyms, secRawList, secConfig, secTraceable, secModFuncs:
			width = 4
		case secHelperIdx, secKfuncIdx, secFuncIdx, secTpIdx, secTpNameIdx, secTypeIdx, secRawIdx:
			width = 8
		}
		if width == 0 && n != 0 {
			return nil, errCorrupt("section %d: a count where none belongs", i)
		}
		if width > 0 && uint64(n)*uint64(width) != l {
			return nil, errCorrupt("section %d: %d entries in %d bytes", i, n, l)
		}
		secs[i] = s
	}
	for _, g := range [][]int{
		{secHelperOffs, secHelperIdx}, {secKfuncOffs, secKfuncIdx}, {secFuncOffs, secFuncIdx},
		{secTpOffs, secTpIdx, secTpNameIdx}, {secTypeOffs, secTypeIdx}, {secRawList, secRawIdx},
	} {
		for _, i := range g[1:] {
			if secs[i].n != secs[g[0]].n {
				return nil, errCorrupt("section %d has %d entries, section %d %d", i, secs[i].n, g[0], secs[g[0]].n)
			}
		}
	}
	if m := secs[secMeta]; crc32.Checksum(m.b, crcTable) != m.crc {
		return nil, errCorrupt("meta section checksum mismatch")
	}
	return &secs, nil
}

// rd decodes one record; any read past its end marks it bad.
type rd struct {
	b   []byte
	str []byte // the string table
	bad bool
}

func (r *rd) u() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rd) i() int {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

func (r *rd) bool() bool {
	if len(r.b) == 0 {
		r.bad = true
		return false
	}
	v := r.b[0]
	r.b = r.b[1:]
	if v > 1 {
		r.bad = true
	}
	return v == 1
}

// sb is a string of the string table, not copied.
func (r *rd) sb() []byte {
	b, ok := strAt(r.str, r.u())
	if !ok {
		r.bad = true
	}
	return b
}

func (r *rd) s() string { return string(r.sb()) }

// is reads an inline string.
func (r *rd) is() string {
	l := r.u()
	if l > uint64(len(r.b)) {
		r.bad, r.b = true, nil
		return ""
	}
	s := string(r.b[:l])
	r.b = r.b[l:]
	return s
}

// n reads a length written by rec.n; every element takes at least one
// byte, so a damaged length cannot ask for a huge allocation.
func (r *rd) n() (int, bool) {
	v := r.u()
	if v == 0 {
		return 0, true
	}
	if v-1 > uint64(len(r.b)) {
		r.bad, r.b = true, nil
		return 0, false
	}
	return int(v - 1), false
}

func strAt(tab []byte, off uint64) ([]byte, bool) {
	if off >= uint64(len(tab)) {
		return nil, false
	}
	l, n := binary.Uvarint(tab[off:])
	if n <= 0 || l > uint64(len(tab))-off-uint64(n) {
		return nil, false
	}
	s := off + uint64(n)
	return tab[s : s+l], true
}

func (r *rd) fn(f *Func) {
	f.Name = r.s()
	f.Return = r.s()
	if n, isNil := r.n(); !isNil {
		f.Params = make([]Param, n)
		for i := range f.Params {
			p := &f.Params[i]
			p.Name, p.Type, p.Ref = r.s(), r.s(), r.s()
		}
	}
	f.Variadic = r.bool()
}

func (r *rd) helper(h *Helper) {
	h.Name = r.s()
	h.ID = r.i()
	if r.bool() {
		h.Func = new(Func)
		r.fn(h.Func)
	}
	h.GPLOnly = r.tri()
	if n, isNil := r.n(); !isNil {
		h.Allowed = make(map[string]Tri, n)
		for range n {
			k := r.s()
			h.Allowed[k] = r.tri()
		}
	}
	h.Source = r.s()
}

func (r *rd) tri() Tri {
	v := r.i()
	if v < int(Unknown) || v > int(No) {
		r.bad = true
	}
	return Tri(v)
}

func (r *rd) kfunc(f *Kfunc) {
	r.fn(&f.Func)
	if n, isNil := r.n(); !isNil {
		f.Flags = make([]string, n)
		for i := range f.Flags {
			f.Flags[i] = r.s()
		}
	}
}

func (r *rd) tracepoint(t *Tracepoint) {
	t.Category = r.s()
	t.Name = r.s()
	t.ID = r.i()
	if n, isNil := r.n(); !isNil {
		t.Fields = make([]Field, n)
		for i := range t.Fields {
			f := &t.Fields[i]
			f.Name, f.Type = r.s(), r.s()
			f.Offset, f.Size = r.i(), r.i()
			f.Signed = r.bool()
		}
	}
	t.Struct = r.s()
	t.Source = r.s()
}

func (r *rd) typ(t *Type) {
	t.Kind = r.s()
	t.Name = r.s()
	t.Size = r.i()
	if n, isNil := r.n(); !isNil {
		t.Members = make([]Member, n)
		for i := range t.Members {
			m := &t.Members[i]
			m.Name, m.Type, m.Ref, m.RefKind = r.s(), r.s(), r.s(), r.s()
			m.Pointer = r.bool()
			m.Offset, m.Bits = r.i(), r.i()
		}
	}
	t.Target = r.s()
	t.Ref = r.s()
}

type metaSection struct {
	meta      Meta
	hasSyms   bool
	attach    map[string]Support
	progTypes []string
}

func decodeMeta(b []byte) (metaSection, error) {
	var m metaSection
	r := rd{b: b}
	m.meta.Schema = r.i()
	m.meta.Kernel, m.meta.Machine, m.meta.Source = r.is(), r.is(), r.is()
	m.meta.BTFSHA256, m.meta.BuiltAt = r.is(), r.is()
	m.meta.Privileged = r.bool()
	if n, isNil := r.n(); !isNil {
		m.meta.Sources = make(map[string]string, n)
		for range n {
			k := r.is()
			m.meta.Sources[k] = r.is()
		}
	}
	m.meta.Reference = r.bool()
	m.hasSyms = r.bool()
	if n, isNil := r.n(); !isNil {
		m.attach = make(map[string]Support, n)
		for range n {
			k := r.is()
			s := Support{Supported: r.tri()}
			s.Reason, s.Source = r.is(), r.is()
			m.attach[k] = s
		}
	}
	if n, isNil := r.n(); !isNil {
		m.progTypes = make([]string, n)
		for i := range m.progTypes {
			m.progTypes[i] = r.is()
		}
	}
	m.meta.Name = r.is()
	m.meta.Version = r.is()
	if r.bad || len(r.b) != 0 {
		return m, errCorrupt("meta section")
	}
	return m, nil
}
