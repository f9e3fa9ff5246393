package retrieval

// The index file (indexFile) holds what Load would otherwise decode
// eagerly: the kernel functions' inverted index and the local
// collections' term statistics. It is memory-mapped (kb.MapFile) and read
// in place: opening checks its header and directory; a search decodes
// only the terms, postings and documents it touches.
//
// Layout, little-endian, in the style of the kb file (kb/format.go):
//
//	header     magic "KGENTIX\x00", format uint32 (= formatVersion),
//	           section count uint32, file size uint64
//	directory  per section: name [24]byte (NUL-padded), offset uint64,
//	           length uint64, count uint32, crc32c uint32
//	sections   at their offsets, each 8-byte aligned
//
// A section is one of three shapes, by its name's suffix:
//
//	.str   a list of count strings: count+1 uint32 offsets into the
//	       bytes that follow them (string i is bytes[off[i]:off[i+1]])
//	.u32   count uint32
//	.f32   count float32
//	.post  count postings: document uint32, weight float32
//
// Sections: funcs.terms.str (sorted), funcs.start.u32 (terms+1: where
// each term's postings start in funcs.post), funcs.post, funcs.ids.str,
// funcs.content.str, funcs.norm.f32; per local collection KIND:
// KIND.terms.str (sorted), KIND.df.u32, KIND.n.u32 (one: the number of
// documents).
//
// Open checks the header, every section's bounds, its size against its
// count and its checksum: a truncated or damaged file is an error (Open
// rebuilds the index). Reads are bounds-checked as well, so nothing in a
// file can make a search read out of bounds.

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/kgent/kgent/kb"
)

const (
	indexMagic   = "KGENTIX\x00"
	ixHeaderSize = 24
	ixEntrySize  = 48
	ixNameLen    = 24
	// maxIndexFile bounds what is mapped: offsets inside are uint32.
	maxIndexFile = math.MaxUint32
)

var ixCRC = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt wraps what is wrong with a damaged index file.
func errCorrupt(format string, args ...any) error {
	return fmt.Errorf("corrupt index file: "+format, args...)
}

// errFormat: the file is of another format version.
var errFormat = errors.New("index format differs")

// ---- writing ----

type ixWriter struct {
	names []string
	secs  [][]byte
	cnts  []int
}

func (w *ixWriter) add(name string, b []byte, n int) {
	w.names = append(w.names, name)
	w.secs = append(w.secs, b)
	w.cnts = append(w.cnts, n)
}

func (w *ixWriter) strs(name string, ss []string) {
	size := 4 * (len(ss) + 1)
	for _, s := range ss {
		size += len(s)
	}
	b := make([]byte, 0, size)
	off := 0
	b = binary.LittleEndian.AppendUint32(b, 0)
	for _, s := range ss {
		off += len(s)
		b = binary.LittleEndian.AppendUint32(b, uint32(off))
	}
	for _, s := range ss {
		b = append(b, s...)
	}
	w.add(name+".str", b, len(ss))
}

func (w *ixWriter) u32s(name string, vs []uint32) {
	b := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	w.add(name+".u32", b, len(vs))
}

func (w *ixWriter) f32s(name string, vs []float32) {
	b := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	w.add(name+".f32", b, len(vs))
}

func (w *ixWriter) bytes() ([]byte, error) {
	size := ixHeaderSize + len(w.secs)*ixEntrySize
	for _, s := range w.secs {
		size = align8(size) + len(s)
	}
	if size > maxIndexFile {
		return nil, fmt.Errorf("an index file of %d bytes is too large", size)
	}
	out := make([]byte, ixHeaderSize+len(w.secs)*ixEntrySize, size)
	copy(out, indexMagic)
	binary.LittleEndian.PutUint32(out[8:], formatVersion)
	binary.LittleEndian.PutUint32(out[12:], uint32(len(w.secs)))
	binary.LittleEndian.PutUint64(out[16:], uint64(size))
	for i, s := range w.secs {
		if len(w.names[i]) > ixNameLen {
			return nil, fmt.Errorf("index section name %q is too long", w.names[i])
		}
		for len(out) < align8(len(out)) {
			out = append(out, 0)
		}
		e := out[ixHeaderSize+i*ixEntrySize:]
		copy(e[:ixNameLen], w.names[i])
		binary.LittleEndian.PutUint64(e[24:], uint64(len(out)))
		binary.LittleEndian.PutUint64(e[32:], uint64(len(s)))
		binary.LittleEndian.PutUint32(e[40:], uint32(w.cnts[i]))
		binary.LittleEndian.PutUint32(e[44:], crc32.Checksum(s, ixCRC))
		out = append(out, s...)
	}
	return out, nil
}

func align8(n int) int { return (n + 7) &^ 7 }

// encodeIndex writes the functions' index and the local statistics.
func encodeIndex(funcs *sparse, st map[string]*stats) ([]byte, error) {
	w := &ixWriter{}
	if funcs != nil {
		terms := make([]string, 0, len(funcs.Post))
		for t := range funcs.Post {
			terms = append(terms, t)
		}
		slices.Sort(terms)
		start := make([]uint32, 0, len(terms)+1)
		var post []byte
		for _, t := range terms {
			start = append(start, uint32(len(post)/8))
			for _, p := range funcs.Post[t] {
				post = binary.LittleEndian.AppendUint32(post, uint32(p.Doc))
				post = binary.LittleEndian.AppendUint32(post, math.Float32bits(p.W))
			}
		}
		start = append(start, uint32(len(post)/8))
		w.strs("funcs.terms", terms)
		w.u32s("funcs.start", start)
		w.add("funcs.post", post, len(post)/8)
		w.strs("funcs.ids", funcs.IDs)
		w.strs("funcs.content", funcs.Content)
		w.f32s("funcs.norm", funcs.Norm)
	}
	for _, kind := range slices.Sorted(maps.Keys(st)) {
		s := st[kind]
		terms := slices.Sorted(maps.Keys(s.DF))
		df := make([]uint32, len(terms))
		for i, t := range terms {
			df[i] = uint32(s.DF[t])
		}
		w.strs(kind+".terms", terms)
		w.u32s(kind+".df", df)
		w.u32s(kind+".n", []uint32{uint32(s.N)})
	}
	return w.bytes()
}

// ---- reading ----

// ixFile is an opened index file. Its sections point into the mapping,
// which lives until the ixFile is collected: every method that reads
// them keeps the ixFile alive until it returns, and nothing handed out
// points into the mapping (strings and postings are copies).
type ixFile struct {
	b    []byte
	secs map[string][]byte
	cnts map[string]int
}

// strList is a .str section.
type strList struct {
	offs, blob []byte
	n          int
}

func (l strList) at(i int) ([]byte, bool) {
	if i < 0 || i >= l.n {
		return nil, false
	}
	s, e := binary.LittleEndian.Uint32(l.offs[4*i:]), binary.LittleEndian.Uint32(l.offs[4*i+4:])
	if s > e || uint64(e) > uint64(len(l.blob)) {
		return nil, false
	}
	return l.blob[s:e], true
}

// find bisects a sorted list for s; a damaged list may miss it, never
// read out of bounds.
func (l strList) find(s string) (int, bool) {
	lo, hi := 0, l.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		b, ok := l.at(m)
		if !ok {
			return 0, false
		}
		switch c := strings.Compare(string(b), s); {
		case c == 0:
			return m, true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return 0, false
}

func u32At(b []byte, i int) uint32 { return binary.LittleEndian.Uint32(b[4*i:]) }
func f32At(b []byte, i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])) }

// parseIndex checks the header, the directory and every section's bounds,
// shape and checksum.
func parseIndex(b []byte) (*ixFile, error) {
	if len(b) < ixHeaderSize {
		if len(b) >= 8 && string(b[:8]) != indexMagic {
			return nil, errCorrupt("not an index file")
		}
		return nil, errCorrupt("truncated (%d bytes)", len(b))
	}
	if string(b[:8]) != indexMagic {
		return nil, errCorrupt("not an index file")
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != formatVersion {
		return nil, fmt.Errorf("%w: index format %d, this kgent reads format %d", errFormat, v, formatVersion)
	}
	if size := binary.LittleEndian.Uint64(b[16:]); size != uint64(len(b)) {
		return nil, errCorrupt("file is %d bytes, its header says %d (truncated?)", len(b), size)
	}
	ns := uint64(binary.LittleEndian.Uint32(b[12:]))
	if ns > (uint64(len(b))-ixHeaderSize)/ixEntrySize {
		return nil, errCorrupt("truncated directory")
	}
	f := &ixFile{b: b, secs: map[string][]byte{}, cnts: map[string]int{}}
	dirEnd := ixHeaderSize + ns*ixEntrySize
	for i := range ns {
		e := b[ixHeaderSize+i*ixEntrySize:]
		name := strings.TrimRight(string(e[:ixNameLen]), "\x00")
		off, l := binary.LittleEndian.Uint64(e[24:]), binary.LittleEndian.Uint64(e[32:])
		n := uint64(binary.LittleEndian.Uint32(e[40:]))
		if _, dup := f.secs[name]; dup || name == "" {
			return nil, errCorrupt("section %d: name %q", i, name)
		}
		if off < dirEnd || off > uint64(len(b)) || l > uint64(len(b))-off || off%8 != 0 {
			return nil, errCorrupt("section %s out of bounds", name)
		}
		s := b[off : off+l]
		var want uint64
		switch {
		case strings.HasSuffix(name, ".str"):
			want = 4 * (n + 1)
			if l < want || u32At(s, 0) != 0 || uint64(u32At(s, int(n))) != l-want {
				return nil, errCorrupt("section %s: %d strings do not fill %d bytes", name, n, l)
			}
			want = l
		case strings.HasSuffix(name, ".u32"), strings.HasSuffix(name, ".f32"):
			want = 4 * n
		case strings.HasSuffix(name, ".post"):
			want = 8 * n
		default:
			return nil, errCorrupt("section %q of no known shape", name)
		}
		if want != l {
			return nil, errCorrupt("section %s: %d entries in %d bytes", name, n, l)
		}
		if crc32.Checksum(s, ixCRC) != binary.LittleEndian.Uint32(e[44:]) {
			return nil, errCorrupt("section %s: checksum mismatch", name)
		}
		f.secs[name], f.cnts[name] = s, int(n)
	}
	return f, nil
}

func (f *ixFile) strs(name string) (strList, bool) {
	s, ok := f.secs[name+".str"]
	if !ok {
		return strList{}, false
	}
	n := f.cnts[name+".str"]
	return strList{offs: s[:4*(n+1)], blob: s[4*(n+1):], n: n}, true
}

// section returns a fixed-width section of n entries.
func (f *ixFile) section(name string, n int) ([]byte, error) {
	s, ok := f.secs[name]
	if !ok {
		return nil, errCorrupt("no section %s", name)
	}
	if f.cnts[name] != n {
		return nil, errCorrupt("section %s has %d entries, want %d", name, f.cnts[name], n)
	}
	return s, nil
}

// loadIndexFile maps path (a file of the user's own) and checks it.
func loadIndexFile(path string) (*ixFile, error) {
	fh, err := kb.OwnedOpen(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := kb.MapFile(fh, ixHeaderSize, maxIndexFile)
	if err != nil {
		return nil, err
	}
	f, err := parseIndex(b)
	if err != nil {
		kb.Unmap(b, ixHeaderSize)
		return nil, err
	}
	runtime.AddCleanup(f, func(b []byte) { kb.Unmap(b, ixHeaderSize) }, b)
	return f, nil
}

// mappedFuncs is the functions' index read from the file.
type mappedFuncs struct {
	f                 *ixFile
	terms, ids, conts strList
	start, post, norms []byte
	n                 int
}

func (f *ixFile) funcs() (*mappedFuncs, error) {
	m := &mappedFuncs{f: f}
	var ok [3]bool
	m.terms, ok[0] = f.strs("funcs.terms")
	m.ids, ok[1] = f.strs("funcs.ids")
	m.conts, ok[2] = f.strs("funcs.content")
	if ok != [3]bool{true, true, true} {
		return nil, errCorrupt("the functions' sections are missing")
	}
	m.n = m.ids.n
	var err error
	if m.start, err = f.section("funcs.start.u32", m.terms.n+1); err != nil {
		return nil, err
	}
	if m.post, err = f.section("funcs.post", f.cnts["funcs.post"]); err != nil {
		return nil, err
	}
	if m.norms, err = f.section("funcs.norm.f32", m.n); err != nil {
		return nil, err
	}
	if m.conts.n != m.n {
		return nil, errCorrupt("%d functions, %d contents", m.n, m.conts.n)
	}
	return m, nil
}

func (m *mappedFuncs) docs() int { return m.n }

func (m *mappedFuncs) postings(t string, buf []posting) ([]posting, error) {
	defer runtime.KeepAlive(m.f)
	i, ok := m.terms.find(t)
	if !ok {
		return buf[:0], nil
	}
	s, e := u32At(m.start, i), u32At(m.start, i+1)
	if s > e || uint64(e) > uint64(len(m.post)/8) {
		return nil, errCorrupt("postings of %q out of bounds", t)
	}
	buf = buf[:0]
	for j := s; j < e; j++ {
		d := binary.LittleEndian.Uint32(m.post[8*j:])
		if d >= uint32(m.n) {
			return nil, errCorrupt("a posting of %q names document %d of %d", t, d, m.n)
		}
		buf = append(buf, posting{int32(d), math.Float32frombits(binary.LittleEndian.Uint32(m.post[8*j+4:]))})
	}
	return buf, nil
}

func (m *mappedFuncs) norm(d int32) float32 {
	defer runtime.KeepAlive(m.f)
	return f32At(m.norms, int(d))
}

func (m *mappedFuncs) cmpID(a, b int32) int {
	defer runtime.KeepAlive(m.f)
	x, _ := m.ids.at(int(a))
	y, _ := m.ids.at(int(b))
	return cmp.Compare(string(x), string(y))
}

func (m *mappedFuncs) doc(d int32) (id, content string, err error) {
	defer runtime.KeepAlive(m.f)
	x, ok1 := m.ids.at(int(d))
	y, ok2 := m.conts.at(int(d))
	if !ok1 || !ok2 {
		return "", "", errCorrupt("function %d out of bounds", d)
	}
	return string(x), string(y), nil
}

// stats reads a local collection's statistics.
func (f *ixFile) stats(kind string) (*stats, error) {
	terms, ok := f.strs(kind + ".terms")
	if !ok {
		return nil, errCorrupt("no statistics for %s", kind)
	}
	df, err := f.section(kind+".df.u32", terms.n)
	if err != nil {
		return nil, err
	}
	n, err := f.section(kind+".n.u32", 1)
	if err != nil {
		return nil, err
	}
	return &stats{N: int(u32At(n, 0)), file: f, terms: terms, dfs: df}, nil
}

// mappedDF is a term's document frequency in a mapped collection.
func (s *stats) mappedDF(t string) int32 {
	defer runtime.KeepAlive(s.file)
	i, ok := s.terms.find(t)
	if !ok {
		return 0
	}
	return int32(min(u32At(s.dfs, i), math.MaxInt32))
}

// writeIndexFile writes b to path, which must not exist.
func writeIndexFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
