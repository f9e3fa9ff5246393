package kb

import (
	"math/bits"
	"sort"
	"strings"
)

// Name families with their own nearest-name index.
const (
	FamilyHelper     = "helper"
	FamilyKfunc      = "kfunc"
	FamilyFunc       = "func"       // kernel functions: BTF functions and kallsyms text symbols
	FamilyTracepoint = "tracepoint" // "category:name"
	FamilyRawTP      = "raw_tp"
	FamilyType       = "type"
)

// nameIndex finds near names in a large sorted list: exact, prefix, token
// and bounded edit distance, filtered by length and a character mask so a
// query over ~100k names stays well under a millisecond.
type nameIndex struct {
	names  []string // sorted, unique
	masks  []uint64
	tokens map[string][]int32
	byLen  [][]int32 // ids of names by length (capped at maxLen)
}

const maxLen = 128

func newNameIndex(names []string) *nameIndex {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	uniq := sorted[:0]
	for i, n := range sorted {
		if n == "" || (i > 0 && n == sorted[i-1]) {
			continue
		}
		uniq = append(uniq, n)
	}
	x := &nameIndex{names: uniq, masks: make([]uint64, len(uniq)), tokens: map[string][]int32{}}
	for i, n := range uniq {
		x.masks[i] = charMask(n)
		l := min(len(n), maxLen)
		for len(x.byLen) <= l {
			x.byLen = append(x.byLen, nil)
		}
		x.byLen[l] = append(x.byLen[l], int32(i))
		for _, t := range splitTokens(n) {
			x.tokens[t] = append(x.tokens[t], int32(i))
		}
	}
	return x
}

func charMask(s string) uint64 {
	var m uint64
	for i := 0; i < len(s); i++ {
		m |= 1 << (s[i] & 63)
	}
	return m
}

func splitTokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == ':' || r == '/' || r == '.' || r == ' ' })
}

type scored struct {
	name  string
	score int // lower is better
}

// Nearest returns up to n names close to q, best first.
func (x *nameIndex) nearest(q string, n int) []string {
	if x == nil || len(x.names) == 0 || q == "" {
		return nil
	}
	maxd := 1
	if len(q) >= 5 {
		maxd = 2
	}
	if len(q) >= 12 {
		maxd = 3
	}
	best := map[string]int{}
	add := func(name string, score int) {
		if name == q {
			return
		}
		if old, ok := best[name]; !ok || score < old {
			best[name] = score
		}
	}
	// Edit distance, filtered by length and character mask.
	qm := charMask(q)
	for l := max(0, len(q)-maxd); l <= len(q)+maxd && l < len(x.byLen); l++ {
		for _, i := range x.byLen[l] {
			// Each character class one side has and the other lacks
			// costs at least one edit.
			m := x.masks[i]
			if bits.OnesCount64(qm&^m) > maxd || bits.OnesCount64(m&^qm) > maxd {
				continue
			}
			name := x.names[i]
			if dist := editDistance(q, name, maxd); dist <= maxd {
				add(name, dist*10)
			}
		}
	}
	// Names that extend q (bpf_get_current_pid -> bpf_get_current_pid_tgid).
	lo := sort.SearchStrings(x.names, q)
	for i := lo; i < len(x.names) && i < lo+64 && strings.HasPrefix(x.names[i], q); i++ {
		add(x.names[i], 15+len(x.names[i])-len(q))
	}
	// Names containing every token of q (tcp_connect -> tcp_v4_connect).
	if toks := splitTokens(q); len(toks) > 1 {
		var lists [][]int32
		for _, t := range toks {
			l, ok := x.tokens[t]
			if !ok {
				lists = nil
				break
			}
			lists = append(lists, l)
		}
		if len(lists) > 0 {
			sort.Slice(lists, func(i, j int) bool { return len(lists[i]) < len(lists[j]) })
			for _, id := range intersect(lists) {
				name := x.names[id]
				add(name, 20+2*(len(splitTokens(name))-len(toks)))
			}
		}
	}
	out := make([]scored, 0, len(best))
	for name, s := range best {
		out = append(out, scored{name, s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score < out[j].score
		}
		if len(out[i].name) != len(out[j].name) {
			return len(out[i].name) < len(out[j].name)
		}
		return out[i].name < out[j].name
	})
	if len(out) > n {
		out = out[:n]
	}
	names := make([]string, len(out))
	for i, s := range out {
		names[i] = s.name
	}
	return names
}

func intersect(lists [][]int32) []int32 {
	cur := lists[0]
	if len(cur) > 4096 {
		cur = cur[:4096]
	}
	for _, l := range lists[1:] {
		set := make(map[int32]bool, len(l))
		for _, v := range l {
			set[v] = true
		}
		next := cur[:0:0]
		for _, v := range cur {
			if set[v] {
				next = append(next, v)
			}
		}
		cur = next
	}
	if len(cur) > 64 {
		cur = cur[:64]
	}
	return cur
}

// editDistance is the Levenshtein distance of a and b with adjacent
// transpositions counted as one edit; it stops early and returns max+1 once
// the distance must exceed max.
func editDistance(a, b string, max int) int {
	if a == b {
		return 0
	}
	la, lb := len(a), len(b)
	if la-lb > max || lb-la > max {
		return max + 1
	}
	var buf [3 * 65]int
	var rows []int
	if lb < 65 {
		rows = buf[:3*(lb+1)]
	} else {
		rows = make([]int, 3*(lb+1))
	}
	prev2, prev, cur := rows[:lb+1], rows[lb+1:2*(lb+1)], rows[2*(lb+1):]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := prev[j-1] + cost
			if d := prev[j] + 1; d < v {
				v = d
			}
			if d := cur[j-1] + 1; d < v {
				v = d
			}
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				if d := prev2[j-2] + 1; d < v {
					v = d
				}
			}
			cur[j] = v
			if v < rowMin {
				rowMin = v
			}
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[lb]
}

// Nearest returns up to n names from candidates close to q, best first.
// It is the one nearest-name function for small lists (builtins, members,
// SEC prefixes); large families use the kb's indexes through KB.Nearest.
func Nearest(candidates []string, q string, n int) []string {
	out := newNameIndex(candidates).nearest(q, n)
	if len(out) > 0 || len(q) < 3 {
		return out
	}
	// Abbreviations (fname -> filename): q is a subsequence of the name;
	// or the name is a shortening of q (priority -> prio).
	best, bestLen := "", 0
	for _, c := range candidates {
		if len(c) >= 3 && strings.HasPrefix(q, c) && len(c) > bestLen {
			best, bestLen = c, len(c)
		}
	}
	if best != "" {
		return append(out, best)
	}
	for _, c := range candidates {
		if len(c) > 3*len(q) || c == q || !subsequence(q, c) {
			continue
		}
		if best == "" || len(c) < bestLen {
			best, bestLen = c, len(c)
		}
	}
	if best != "" {
		out = append(out, best)
	}
	return out
}

func subsequence(q, s string) bool {
	i := 0
	for j := 0; j < len(s) && i < len(q); j++ {
		if s[j] == q[i] {
			i++
		}
	}
	return i == len(q) && len(q) > 0 && q[0] == s[0]
}

// Name families, as indexes into KB.names.
var nameFamilies = [...]string{FamilyHelper, FamilyKfunc, FamilyFunc, FamilyTracepoint, FamilyRawTP, FamilyType}

const numNameFamilies = len(nameFamilies)

// funcFamily is FamilyFunc's index in nameFamilies.
const funcFamily = 2

// Nearest returns up to n names of a family close to q, best first. Each
// family's index is built on its first use, so a check that suggests no
// function name never reads the 100k+ function names.
func (k *KB) Nearest(family, q string, n int) []string {
	if family == FamilyFunc {
		return k.NearestFunc(q, n, nil)
	}
	for i, f := range nameFamilies {
		if f == family {
			return k.nameIndex(i).nearest(q, n)
		}
	}
	return nil
}

func (k *KB) nameIndex(i int) *nameIndex {
	x := &k.names[i]
	x.once.Do(func() { x.x = newNameIndex(k.familyNames(nameFamilies[i])) })
	return x.x
}

// familyNames lists a family's names from its sorted index.
func (k *KB) familyNames(family string) []string {
	keys := func(x *index, out []string) []string {
		for i := range x.n {
			out = append(out, string(k.key(x, i)))
		}
		return out
	}
	switch family {
	case FamilyHelper:
		return keys(&k.helperIdx, nil)
	case FamilyKfunc:
		return keys(&k.kfuncIdx, nil)
	case FamilyFunc:
		out := keys(&k.funcIdx, make([]string, 0, k.funcIdx.n+k.kallsyms.n))
		for i := range k.kallsyms.n {
			out = append(out, string(k.kallsyms.at(k.strs, i)))
		}
		return out
	case FamilyTracepoint:
		return keys(&k.tpIdx, nil)
	case FamilyRawTP:
		return keys(&k.rawIdx, nil)
	case FamilyType:
		return keys(&k.typeIdx, nil)
	}
	return nil
}

// Warm builds the name indexes now rather than on the first suggestion.
func (k *KB) Warm() {
	for i := range nameFamilies {
		k.nameIndex(i)
	}
}

// NearestFitting is Nearest over a family with the candidates that fit
// the use ranked first: fits says whether a name's prototype or type is
// what the use needs (the argument count of a call, the parameters of a
// declaration, a member that is a struct where the access goes on
// through it). Among those that fit, then among the rest, the order is
// by spelling. The nearest spelling of a misspelled name is often another
// function or field, and a fix that applies it yields a program that
// fails anew; the one with the use's prototype is the one meant.
func (k *KB) NearestFitting(family, q string, n int, fits func(string) bool) []string {
	return rankFitting(k.Nearest(family, q, n+16), n, fits)
}

// NearestFitting is the same over a small list of candidates.
func NearestFitting(candidates []string, q string, n int, fits func(string) bool) []string {
	return rankFitting(Nearest(candidates, q, n+16), n, fits)
}

// rankFitting moves the names that fit before those that do not,
// keeping the spelling order within each, and keeps n.
func rankFitting(spelled []string, n int, fits func(string) bool) []string {
	if fits != nil {
		ok := make(map[string]bool, len(spelled))
		for _, s := range spelled {
			ok[s] = fits(s)
		}
		sort.SliceStable(spelled, func(i, j int) bool { return ok[spelled[i]] && !ok[spelled[j]] })
	}
	if len(spelled) > n {
		spelled = spelled[:n]
	}
	return spelled
}
