package kb

import (
	"sort"
	"strings"
)

// The kernel's own renaming patterns: how one function is spelled on
// different kernels. Suggestions try them before spelling (a name that
// is kmem_cache_alloc_noprof on this kernel is not a typo of
// __kmem_cache_alloc_bulk), and the C checker reads alternatives of one
// event in a libbpf object through them.

// renameSuffixes are words the kernel appends to a function it wraps or
// reworks: memory allocation profiling's _noprof (6.10), lockdep's
// _nested variants, NUMA _node variants.
var renameSuffixes = []string{"_noprof", "_nested", "_node"}

// syscallPrefixes are the wrappers of a system call's implementation:
// SYSCALL_DEFINE makes __do_sys_X, __se_sys_X and the architecture's
// entry (__x64_sys_X); before 4.17 the entry was sys_X.
var syscallPrefixes = []string{"__x64_sys_", "__ia32_sys_", "__arm64_sys_", "__s390x_sys_", "__riscv_sys_", "__se_sys_", "__do_sys_", "sys_"}

// knownRenames are functions the kernel renamed outright, in both
// directions (the page cache's move to folios, readahead's rework).
var knownRenames = map[string][]string{
	"__page_cache_alloc":        {"filemap_alloc_folio"},
	"filemap_alloc_folio":       {"__page_cache_alloc"},
	"do_page_cache_ra":          {"page_cache_ra_order", "__do_page_cache_readahead"},
	"page_cache_ra_order":       {"do_page_cache_ra"},
	"__do_page_cache_readahead": {"do_page_cache_ra"},
	"add_to_page_cache_lru":     {"filemap_add_folio"},
	"filemap_add_folio":         {"add_to_page_cache_lru"},
}

// RenameCandidates are the spellings a kernel function may have on
// other kernels, by the patterns above, nearest first: the name with or
// without a rename suffix, the other syscall wrappers, page and folio
// swapped, and the known outright renames. The name itself is not in it.
func RenameCandidates(name string) []string {
	var out []string
	seen := map[string]bool{name: true}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	base := name
	for _, suf := range renameSuffixes {
		if b, ok := strings.CutSuffix(name, suf); ok {
			base = b
			add(b)
		}
	}
	for _, suf := range renameSuffixes {
		add(base + suf)
	}
	for _, p := range syscallPrefixes {
		if rest, ok := strings.CutPrefix(name, p); ok && rest != "" {
			for _, q := range syscallPrefixes {
				add(q + rest)
			}
			break
		}
	}
	for _, s := range swapPageFolio(name) {
		add(s)
		add(s + "_noprof")
	}
	for _, r := range knownRenames[base] {
		add(r)
		add(r + "_noprof")
	}
	return out
}

// swapPageFolio spells a page-cache function the other way: page and
// folio swapped in place (migrate_misplaced_page, ..._folio), and the
// folio_ prefix the folio API puts first (mark_page_accessed,
// folio_mark_accessed).
func swapPageFolio(name string) []string {
	toks := strings.Split(name, "_")
	var out []string
	for i, t := range toks {
		if t != "page" && t != "folio" {
			continue
		}
		other := "folio"
		if t == "folio" {
			other = "page"
		}
		swapped := append([]string(nil), toks...)
		swapped[i] = other
		out = append(out, strings.Join(swapped, "_"))
		rest := append(append([]string(nil), toks[:i]...), toks[i+1:]...)
		if t == "page" && len(rest) > 0 {
			out = append(out, "folio_"+strings.Join(rest, "_"))
		}
		if t == "folio" && i == 0 && len(rest) >= 2 {
			// folio_mark_accessed -> mark_page_accessed
			out = append(out, rest[0]+"_page_"+strings.Join(rest[1:], "_"))
		}
	}
	return out
}

// Renamed reports whether a and b are one kernel function under two of
// the kernel's spellings.
func Renamed(a, b string) bool {
	for _, c := range RenameCandidates(a) {
		if c == b {
			return true
		}
	}
	return false
}

// generatedSymbol reports names the build makes around a function rather
// than functions of their own: ftrace's __pfx_ padding, tracepoint
// stubs and trampolines, static call keys. They are never suggested.
func generatedSymbol(name string) bool {
	for _, p := range []string{"__pfx_", "__probestub_", "__traceiter_", "__bpf_trace_", "perf_trace_", "trace_event_raw_event_", "trace_raw_output_", "__SCT__", "__SCK__", "__tracepoint_", "__cfi_", "__kstrtab_", "__ksymtab_"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// RenamedFunc is the first of name's spellings on other kernels
// (RenameCandidates) that this kernel has as a function.
func (k *KB) RenamedFunc(name string) (string, bool) {
	for _, r := range RenameCandidates(name) {
		if _, present := k.KernelFunc(r); present == Yes {
			return r, true
		}
	}
	return "", false
}

// SameProto reports whether two functions take and return the same
// types (parameter names aside).
func SameProto(a, b *Func) bool {
	if a == nil || b == nil || a.Return != b.Return || len(a.Params) != len(b.Params) || a.Variadic != b.Variadic {
		return false
	}
	for i := range a.Params {
		if a.Params[i].Type != b.Params[i].Type {
			return false
		}
	}
	return true
}

// NearestFunc returns up to n kernel functions close to a name this
// kernel lacks, best first: the kernel's own renames of it that this
// kernel has (kmem_cache_alloc_noprof for kmem_cache_alloc), then by
// spelling, those with like's prototype first (like: the name's
// prototype on another kernel, or nil). Generated symbols (__pfx_*,
// tracepoint stubs) are never suggested, nor spellings that swap a whole
// word of the name for another (compact_zone is not a typo of
// compact_node, nor xfs_file_read of xfs_file_readdir).
func (k *KB) NearestFunc(q string, n int, like *Func) []string {
	has := func(name string) bool {
		_, present := k.KernelFunc(name)
		return present == Yes
	}
	return nearestFunc(k.nameIndex(funcFamily), has, k.Func, q, n, like)
}

// nearestFunc is NearestFunc over an index of function names, with has
// telling the names the kernel has and proto their prototypes.
func nearestFunc(x *nameIndex, has func(string) bool, proto func(string) (*Func, bool), q string, n int, like *Func) []string {
	if n <= 0 {
		return nil
	}
	var out []string
	seen := map[string]bool{q: true}
	for _, r := range RenameCandidates(q) {
		if !seen[r] && has(r) {
			seen[r] = true
			out = append(out, r)
		}
	}
	var spelled []string
	for _, c := range x.nearest(q, n+16) {
		if seen[c] || generatedSymbol(c) || swapsWord(q, c) {
			continue
		}
		seen[c] = true
		spelled = append(spelled, c)
	}
	if like != nil {
		same := func(name string) bool {
			f, ok := proto(name)
			return ok && SameProto(f, like)
		}
		sort.SliceStable(spelled, func(i, j int) bool { return same(spelled[i]) && !same(spelled[j]) })
	}
	out = append(out, spelled...)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// swapsWord reports whether c is q with one of its words replaced by
// another word rather than misspelled: words at the same place that
// differ in more than a third of their letters (zone, node), or where
// one word extends the other by two letters or more (read, readdir). An
// abbreviation (rd for read) or a letter too many is a misspelling.
func swapsWord(q, c string) bool {
	tq, tc := strings.FieldsFunc(q, isUnderscore), strings.FieldsFunc(c, isUnderscore)
	if len(tq) != len(tc) {
		return false
	}
	for i := range tq {
		a, b := tq[i], tc[i]
		if a == b {
			continue
		}
		if short, long := min(len(a), len(b)), max(len(a), len(b)); (strings.HasPrefix(b, a) || strings.HasPrefix(a, b)) && short >= 3 && long-short >= 2 {
			return true // read, readdir: one letter more is a typo
		}
		if subsequence(a, b) || subsequence(b, a) {
			continue
		}
		if editDistance(a, b, 8) > max(1, max(len(a), len(b))/3) {
			return true
		}
	}
	return false
}

func isUnderscore(r rune) bool { return r == '_' }

// NamedKB is a kernel's kb under its target name ("debian-6.1"), for
// checks that say which other kernels have a name.
type NamedKB struct {
	Name string
	KB   *KB
}
