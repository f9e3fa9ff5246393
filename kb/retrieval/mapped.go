package retrieval

// The index file (indexFile) holds every collection: the kernel
// functions' inverted index, and the documents, vectors and (local
// embedding) term statistics of the others. It is memory-mapped
// (kb.MapFile) and read in place: opening checks its header and
// directory; the first search of a kind checks that kind's sections; a
// search scans the vectors in place and decodes only the documents it
// returns, or the functions' terms and postings the query names.
//
// Layout, little-endian, in the style of the kb file (kb/format.go):
//
//	header     magic "KGENTIX\x00", format uint32 (= formatVersion),
//	           section count uint32, file size uint64
//	directory  per section: name [24]byte (NUL-padded), offset uint64,
//	           length uint64, count uint32, crc32c uint32
//	sections   at their offsets, each 8-byte aligned
//
// A section is one of four shapes, by its name's suffix:
//
//	.str   a list of count strings: count+1 uint32 offsets into the
//	       bytes that follow them (string i is bytes[off[i]:off[i+1]])
//	.u32   count uint32
//	.f32   count float32
//	.post  count postings: document uint32, weight float32
//
// Sections, named by the kind they belong to: functions.terms.str
// (sorted), functions.start.u32 (terms+1: where each term's postings
// start in functions.post), functions.post, functions.ids.str,
// functions.content.str, functions.norm.f32; per other KIND: KIND.ids.str,
// KIND.content.str, KIND.title.str, KIND.dialect.str (a document each),
// KIND.vecs.f32 (the documents' vectors, one after the other, all of one
// size); with the local embedding also KIND.terms.str (sorted), KIND.df.u32
// and KIND.n.u32 (one: the number of documents counted).
//
// Load checks the header, every section's bounds and its size against
// its count: a truncated file or a damaged header is an error, and Open
// rebuilds the index. The first search of a kind checks the checksums of
// the kind's sections: damage there is an error that removes the index,
// so the next Open rebuilds it. Reads are bounds-checked as well, so
// nothing in a file can make a search read out of bounds.

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
	"sync"

	chromem "github.com/philippgille/chromem-go"

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

// errCorruptFile is wrapped by what is wrong with a damaged index file.
var errCorruptFile = errors.New("corrupt index file")

func errCorrupt(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errCorruptFile}, args...)...)
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

// encodeIndex writes the functions' index, the collections' documents
// and the local statistics.
func encodeIndex(funcs *sparse, st map[string]*stats, cols map[string][]chromem.Document) ([]byte, error) {
	w := &ixWriter{}
	for _, kind := range slices.Sorted(maps.Keys(cols)) {
		if err := w.docs(kind, cols[kind]); err != nil {
			return nil, err
		}
	}
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
		w.strs("functions.terms", terms)
		w.u32s("functions.start", start)
		w.add("functions.post", post, len(post)/8)
		w.strs("functions.ids", funcs.IDs)
		w.strs("functions.content", funcs.Content)
		w.f32s("functions.norm", funcs.Norm)
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

// docs writes a collection's documents, with their vectors as chromem-go
// holds them (normalized).
func (w *ixWriter) docs(kind string, ds []chromem.Document) error {
	if len(ds) == 0 {
		return nil
	}
	dim := len(ds[0].Embedding)
	ids, conts, titles, dialects := make([]string, len(ds)), make([]string, len(ds)), make([]string, len(ds)), make([]string, len(ds))
	vecs := make([]float32, 0, dim*len(ds))
	for i, d := range ds {
		if len(d.Embedding) != dim || dim == 0 {
			return fmt.Errorf("%s: vectors of %d and %d dimensions", kind, dim, len(d.Embedding))
		}
		for _, x := range d.Embedding {
			// A search skips the coordinates the query does not
			// have: sound only when x*0 is 0 (see mappedCol.query).
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("%s %s: a vector holds %v", kind, d.ID, x)
			}
		}
		ids[i], conts[i], titles[i], dialects[i] = d.ID, d.Content, d.Metadata["title"], d.Metadata["dialect"]
		vecs = append(vecs, d.Embedding...)
	}
	w.strs(kind+".ids", ids)
	w.strs(kind+".content", conts)
	w.strs(kind+".title", titles)
	w.strs(kind+".dialect", dialects)
	w.f32s(kind+".vecs", vecs)
	return nil
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
	crcs map[string]uint32

	mu       sync.Mutex
	verified map[string]error // by kind
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

func u32At(b []byte, i int) uint32  { return binary.LittleEndian.Uint32(b[4*i:]) }
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
	f := &ixFile{b: b, secs: map[string][]byte{}, cnts: map[string]int{}, crcs: map[string]uint32{}, verified: map[string]error{}}
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
		f.secs[name], f.cnts[name], f.crcs[name] = s, int(n), binary.LittleEndian.Uint32(e[44:])
	}
	return f, nil
}

// verify checks the checksums of kind's sections, once.
func (f *ixFile) verify(kind string) error {
	defer runtime.KeepAlive(f)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err, done := f.verified[kind]; done {
		return err
	}
	var err error
	for _, name := range slices.Sorted(maps.Keys(f.secs)) {
		if strings.HasPrefix(name, kind+".") && crc32.Checksum(f.secs[name], ixCRC) != f.crcs[name] {
			err = errCorrupt("section %s: checksum mismatch", name)
			break
		}
	}
	f.verified[kind] = err
	return err
}

// count is the number of documents of a collection kind (not functions).
func (f *ixFile) count(kind string) int { return f.cnts[kind+".ids.str"] }

// checkDocs checks the shapes of a collection's sections, from the
// directory alone.
func (f *ixFile) checkDocs(kind string) error {
	n := f.count(kind)
	if n == 0 {
		return nil
	}
	for _, part := range []string{"content", "title", "dialect"} {
		if _, ok := f.secs[kind+"."+part+".str"]; !ok || f.cnts[kind+"."+part+".str"] != n {
			return errCorrupt("%s: %d documents, %d %s", kind, n, f.cnts[kind+"."+part+".str"], part)
		}
	}
	if v := f.cnts[kind+".vecs.f32"]; v == 0 || v%n != 0 {
		return errCorrupt("%s: %d numbers are not the vectors of %d documents", kind, v, n)
	}
	return nil
}

// mappedCol is a collection read from the file.
type mappedCol struct {
	f                            *ixFile
	ids, conts, titles, dialects strList
	vecs                         []byte
	n, dim                       int
}

// collection opens kind's documents (after checkDocs); nil when it has
// none.
func (f *ixFile) collection(kind string) *mappedCol {
	n := f.count(kind)
	if n == 0 {
		return nil
	}
	c := &mappedCol{f: f, n: n, vecs: f.secs[kind+".vecs.f32"], dim: f.cnts[kind+".vecs.f32"] / n}
	c.ids, _ = f.strs(kind + ".ids")
	c.conts, _ = f.strs(kind + ".content")
	c.titles, _ = f.strs(kind + ".title")
	c.dialects, _ = f.strs(kind + ".dialect")
	return c
}

// query ranks the documents (of dialect, when given) by the dot product of
// their vectors with q, normalized first unless it is of unit length: the
// ranking of chromem-go's Query over the same vectors, to the bit (Build
// saves them as chromem-go holds them, normalized). The products are
// summed in the same order, but only where q is not 0: the vectors are
// finite (the writer refuses others), so the products left out are
// zeros, which leave a float32 sum as it is. A local query has a few
// terms, so this reads a few numbers of each document. Only the n best
// documents are decoded; documents of equal score keep their order.
func (c *mappedCol) query(kind string, q []float32, n int, dialect string) ([]Result, error) {
	defer runtime.KeepAlive(c.f)
	if len(q) != c.dim {
		return nil, fmt.Errorf("the query's vector has %d dimensions, the %s documents' %d", len(q), kind, c.dim)
	}
	if !unitLength(q) {
		q = normalized(q)
	}
	type hit struct {
		d   int
		sim float32
	}
	var nz []int
	for i, x := range q {
		if x != 0 {
			nz = append(nz, i)
		}
	}
	hits := make([]hit, 0, c.n)
	row := 4 * c.dim
	for d := range c.n {
		if dialect != "" {
			if di, _ := c.dialects.at(d); string(di) != dialect {
				continue
			}
		}
		v := c.vecs[d*row : (d+1)*row]
		var sim float32
		for _, i := range nz {
			sim += q[i] * math.Float32frombits(binary.LittleEndian.Uint32(v[4*i:]))
		}
		hits = append(hits, hit{d, sim})
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return cmp.Compare(b.sim, a.sim) })
	out := make([]Result, 0, min(n, len(hits)))
	for _, h := range hits[:min(n, len(hits))] {
		if h.sim <= 0 {
			break
		}
		id, ok1 := c.ids.at(h.d)
		content, ok2 := c.conts.at(h.d)
		title, ok3 := c.titles.at(h.d)
		di, ok4 := c.dialects.at(h.d)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, errCorrupt("%s: document %d out of bounds", kind, h.d)
		}
		out = append(out, Result{Kind: kind, ID: string(id), Title: string(title), Content: string(content), Dialect: string(di), Score: h.sim})
	}
	return out, nil
}

// unitLength: within a millionth of 1, as chromem-go requires of the
// vectors it does not normalize.
func unitLength(v []float32) bool {
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	return math.Abs(math.Sqrt(sq)-1) < 1e-6
}

// normalized divides v by its length, summed in float32 as chromem-go
// normalizes a query.
func normalized(v []float32) []float32 {
	var sq float32
	for _, x := range v {
		sq += x * x
	}
	l := float32(math.Sqrt(float64(sq)))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x / l
	}
	return out
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
	f                  *ixFile
	terms, ids, conts  strList
	start, post, norms []byte
	n                  int
}

func (f *ixFile) funcs() (*mappedFuncs, error) {
	m := &mappedFuncs{f: f}
	var ok [3]bool
	m.terms, ok[0] = f.strs("functions.terms")
	m.ids, ok[1] = f.strs("functions.ids")
	m.conts, ok[2] = f.strs("functions.content")
	if ok != [3]bool{true, true, true} {
		return nil, errCorrupt("the functions' sections are missing")
	}
	m.n = m.ids.n
	var err error
	if m.start, err = f.section("functions.start.u32", m.terms.n+1); err != nil {
		return nil, err
	}
	if m.post, err = f.section("functions.post", f.cnts["functions.post"]); err != nil {
		return nil, err
	}
	if m.norms, err = f.section("functions.norm.f32", m.n); err != nil {
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
