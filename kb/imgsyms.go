package kb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// A stripped vmlinux has no symbol table, but a kernel built with
// CONFIG_KALLSYMS carries its own in .rodata, the tables /proc/kallsyms is
// made from (scripts/kallsyms.c writes them):
//
//	kallsyms_num_syms    count
//	kallsyms_names       per symbol: length (one byte, or two when the
//	                     first has bit 7 set, 6.1+), then token numbers
//	kallsyms_markers     offset in names of every 256th symbol
//	kallsyms_token_table 256 NUL-terminated tokens
//	kallsyms_token_index offset of each token in the table (u16)
//	kallsyms_offsets     per symbol: int32 address relative to
//	kallsyms_relative_base
//
// Until 6.3 the offsets and the base come first (offsets, base, count,
// names, markers, tokens); from 6.4 they follow the token index. Each
// table starts 8-aligned. A symbol's first character is its nm type ('T',
// 't', 'D', ...). The tables are found by their shape: every character
// symbol names use keeps a one-character token at its own code, so the
// tokens of the digits "0" .. "9" lie side by side in the token table.

// imageSym is a kernel symbol read from the image's kallsyms tables.
type imageSym struct {
	name string
	typ  byte
	addr uint64
	text bool
}

type imageSyms struct {
	syms   []imageSym        // in kallsyms order (by address)
	byName map[string]uint64 // first address of each name
	byAddr []int             // indexes into syms of data symbols, by address
}

// readKallsyms finds and decodes the image's kallsyms tables.
func readImageKallsyms(img *vmlinuxImage) (*imageSyms, error) {
	ro := img.elf.Section(".rodata")
	if ro == nil {
		return nil, errors.New("no .rodata section")
	}
	data, ok := sectionBytes(img, ro)
	if !ok {
		return nil, errors.New(".rodata is not in the image")
	}
	digits := []byte("0\x001\x002\x003\x004\x005\x006\x007\x008\x009\x00")
	var lastErr error = errors.New("no kallsyms token table (kernel built without CONFIG_KALLSYMS?)")
	for from := 0; ; {
		i := bytes.Index(data[from:], digits)
		if i < 0 {
			return nil, lastErr
		}
		p := from + i
		from = p + 1
		t, err := tokenTable(data, p)
		if err != nil {
			lastErr = err
			continue
		}
		syms, err := decodeKallsyms(img, data, ro.Addr, t)
		if err != nil {
			lastErr = err
			continue
		}
		return syms, nil
	}
}

type tokens struct {
	tok        [256][]byte
	start, end int // the token table
	idxEnd     int // end of the token index
}

// tokenTable reads the token table whose token 48 ("0") is at p, and
// checks it against the token index that follows it.
func tokenTable(data []byte, p int) (*tokens, error) {
	// Tokens 48..255 follow p; their end is the table's end.
	e := p
	for range 256 - 48 {
		j := bytes.IndexByte(data[e:], 0)
		if j < 0 || j > 128 {
			return nil, errors.New("kallsyms: not a token table")
		}
		e += j + 1
	}
	for _, align := range []int{8, 4, 2, 1} {
		ix := (e + align - 1) &^ (align - 1)
		if ix+512 > len(data) {
			continue
		}
		idx := func(i int) int { return int(binary.LittleEndian.Uint16(data[ix+2*i:])) }
		if idx(0) != 0 {
			continue
		}
		start := p - idx(48)
		if start < 0 || start >= p {
			continue
		}
		t := &tokens{start: start, end: e, idxEnd: ix + 512}
		ok := true
		for i := range 256 {
			o := start + idx(i)
			if o >= e {
				ok = false
				break
			}
			j := bytes.IndexByte(data[o:e], 0)
			if j < 0 || (i+1 < 256 && start+idx(i+1) != o+j+1) {
				ok = false
				break
			}
			t.tok[i] = data[o : o+j]
		}
		if ok {
			return t, nil
		}
	}
	return nil, errors.New("kallsyms: no token index after the token table")
}

// decodeKallsyms finds the count and names before the token table and
// the addresses (before the count, or after the token index), and decodes
// every symbol.
func decodeKallsyms(img *vmlinuxImage, data []byte, base uint64, t *tokens) (*imageSyms, error) {
	// The names end at most a few markers' worth before the tokens (more
	// with 6.2-6.3's kallsyms_seqs_of_names between them); their start is
	// 8 bytes after a count that decodes to exactly the markers.
	limit := max(0, t.start-(64<<20))
	for x := t.start &^ 3; x-8 >= limit; x -= 4 {
		// The count is a u32 right before the names (7.x), or 8 bytes
		// before them with the names 8-aligned (before).
		at := x - 4
		n := int(binary.LittleEndian.Uint32(data[at:]))
		if n == 0 && x&7 == 0 {
			at = x - 8
			n = int(binary.LittleEndian.Uint32(data[at:]))
		}
		if n < 1000 || n > 4<<20 || x+2*n > t.start {
			continue
		}
		end, ok := walkNames(data[x:t.start], n)
		if !ok || !markersMatch(data, x, x+end, t.start) {
			continue
		}
		names, _, ok := decodeNames(data[x:t.start], n, t)
		if !ok {
			continue
		}
		if syms, err := kallsymsAddrs(img, data, base, at, n, t, names); err == nil {
			return syms, nil
		}
	}
	return nil, errors.New("kallsyms: no symbol names before the token table")
}

// walkNames finds where n compressed names end, without expanding them.
func walkNames(b []byte, n int) (int, bool) {
	o := 0
	for range n {
		if o >= len(b) {
			return 0, false
		}
		l := int(b[o])
		o++
		if l&0x80 != 0 {
			if o >= len(b) {
				return 0, false
			}
			l = l&0x7f | int(b[o])<<7
			o++
		}
		if l == 0 || o+l > len(b) {
			return 0, false
		}
		o += l
	}
	return o, true
}

// decodeNames expands n compressed names; end is where they stop.
func decodeNames(b []byte, n int, t *tokens) ([][]byte, int, bool) {
	out := make([][]byte, 0, n)
	o := 0
	var buf []byte
	for range n {
		if o >= len(b) {
			return nil, 0, false
		}
		l := int(b[o])
		o++
		if l&0x80 != 0 {
			if o >= len(b) {
				return nil, 0, false
			}
			l = l&0x7f | int(b[o])<<7
			o++
		}
		if l == 0 || o+l > len(b) {
			return nil, 0, false
		}
		buf = buf[:0]
		for _, c := range b[o : o+l] {
			buf = append(buf, t.tok[c]...)
		}
		o += l
		if len(buf) < 2 || len(buf) > 512 {
			return nil, 0, false
		}
		out = append(out, bytes.Clone(buf))
	}
	return out, o, true
}

// markersMatch checks that the markers table follows the names: it
// starts 8-aligned after them with a zero, of u32 (6.x) or u64 (5.x).
func markersMatch(data []byte, namesStart, namesEnd, limit int) bool {
	span := uint64(namesEnd - namesStart)
	for _, m := range []int{(namesEnd + 3) &^ 3, (namesEnd + 7) &^ 7} {
		if m+16 > limit {
			continue
		}
		first := binary.LittleEndian.Uint32(data[m:])
		second32 := binary.LittleEndian.Uint32(data[m+4:])
		second64 := binary.LittleEndian.Uint64(data[m+8:])
		if first == 0 && ((second32 > 0 && uint64(second32) < span) || (second64 > 0 && second64 < span)) {
			return true
		}
	}
	return false
}

// kallsymsAddrs finds the offsets table for n names (before the count in
// the old order, after the token index in the new) and builds the symbols.
func kallsymsAddrs(img *vmlinuxImage, data []byte, base uint64, countAt, n int, t *tokens, names [][]byte) (*imageSyms, error) {
	type layout struct{ offs, rel int }
	var tries []layout
	// Old order: offsets, base, count.
	if rel := (countAt - 8) &^ 7; rel-4*n >= 0 {
		tries = append(tries, layout{(rel - 4*n) &^ 7, rel})
	}
	// New order: tokens, offsets, base (none from 6.15: the offsets are
	// relative to their own place).
	for _, offs := range []int{t.idxEnd, (t.idxEnd + 7) &^ 7} {
		if offs+4*n+16 <= len(data) {
			tries = append(tries, layout{offs, (offs + 4*n + 7) &^ 7})
		}
	}
	const (
		modePercpu = iota // CONFIG_KALLSYMS_ABSOLUTE_PERCPU: negative offsets below the base
		modeBase          // unsigned offsets above the base
		modePlace         // signed offsets from the entry's own address
	)
	for _, l := range tries {
		rel := binary.LittleEndian.Uint64(data[l.rel:])
		for _, mode := range []int{modePercpu, modeBase, modePlace} {
			if mode != modePlace && rel < 0xffff000000000000 {
				continue
			}
			addrs := make([]uint64, n)
			bad := 0
			for i := range n {
				off := int32(binary.LittleEndian.Uint32(data[l.offs+4*i:]))
				switch {
				case mode == modePlace:
					addrs[i] = base + uint64(l.offs+4*i) + uint64(int64(off))
				case mode == modePercpu && off >= 0:
					addrs[i] = uint64(off)
				case mode == modePercpu:
					addrs[i] = rel - 1 - uint64(int64(off))
				default:
					addrs[i] = rel + uint64(uint32(off))
				}
				if i > 0 && addrs[i] < addrs[i-1] {
					bad++
				}
			}
			if bad > n/100 {
				continue
			}
			// The text symbols must land in the image.
			mid := addrs[n/2]
			if _, ok := img.at(mid, 1); !ok {
				continue
			}
			s := &imageSyms{syms: make([]imageSym, n), byName: make(map[string]uint64, n)}
			for i, nm := range names {
				s.syms[i] = imageSym{name: string(nm[1:]), typ: nm[0], addr: addrs[i]}
				if _, ok := s.byName[s.syms[i].name]; !ok {
					s.byName[s.syms[i].name] = addrs[i]
				}
			}
			// Text is told by address: 7.x writes 't' for every type.
			ranges := [][2]string{{"_stext", "_etext"}, {"_sinittext", "_einittext"}}
			byAddress := false
			var lo, hi [2]uint64
			for j, r := range ranges {
				a, ok1 := s.byName[r[0]]
				b, ok2 := s.byName[r[1]]
				if ok1 && ok2 && a < b {
					lo[j], hi[j] = a, b
					byAddress = byAddress || j == 0
				}
			}
			for i := range s.syms {
				x := &s.syms[i]
				if byAddress {
					x.text = x.addr >= lo[0] && x.addr < hi[0] || x.addr >= lo[1] && x.addr < hi[1]
				} else {
					x.text = x.typ == 't' || x.typ == 'T'
				}
				if !x.text {
					s.byAddr = append(s.byAddr, i)
				}
			}
			sort.SliceStable(s.byAddr, func(a, b int) bool { return s.syms[s.byAddr[a]].addr < s.syms[s.byAddr[b]].addr })
			return s, nil
		}
	}
	return nil, fmt.Errorf("kallsyms: %d names decoded but no address table matches them", n)
}

// dataSymsAt names the data symbols at exactly addr.
func (s *imageSyms) dataSymsAt(addr uint64) []string {
	var out []string
	i := sort.Search(len(s.byAddr), func(i int) bool { return s.syms[s.byAddr[i]].addr >= addr })
	for ; i < len(s.byAddr) && s.syms[s.byAddr[i]].addr == addr; i++ {
		out = append(out, s.syms[s.byAddr[i]].name)
	}
	return out
}

// textSymbols lists the names of text symbols (nm types t and T), base
// names of compiler clones (foo.isra.0 is foo), sorted and unique.
func (s *imageSyms) textSymbols() []string {
	out := make([]string, 0, len(s.syms)/2)
	for _, x := range s.syms {
		if !x.text {
			continue
		}
		name := x.name
		if i := indexByte(name, '.'); i > 0 {
			name = name[:i]
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return compactStrings(out)
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func compactStrings(s []string) []string {
	if len(s) == 0 {
		return s
	}
	o := 1
	for i := 1; i < len(s); i++ {
		if s[i] != s[o-1] {
			s[o] = s[i]
			o++
		}
	}
	return s[:o]
}
