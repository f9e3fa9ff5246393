// Package bpfc checks libbpf-style eBPF C with tree-sitter. tree-sitter
// does not expand macros, so the shapes libbpf programs are built from
// (SEC("..."), __uint/__type/__array map fields, __ksym and friends) are
// recognised on the text first and blanked out with spaces, keeping every
// byte offset, before the C grammar sees the file.
package bpfc

import (
	"regexp"
	"sort"
	"strings"

	"github.com/kgent/kgent/analysis"
)

// Section is one SEC("name") annotation.
type Section struct {
	Name     string
	Span     analysis.Span // the whole SEC(...)
	NameSpan analysis.Span // the name inside the quotes
}

// MapField is a __uint/__type/__array field of a map definition.
type MapField struct {
	Macro string // __uint, __type, __array
	Name  string // type, key, value, max_entries, ...
	Value string
	Span  analysis.Span
}

type masked struct {
	text     []byte
	sections []Section
	fields   []MapField
	ksyms    []int // offsets of __ksym markers
}

// The shapes are found by their literal start (strings.Index) and only
// then matched with an anchored expression: running the expressions over
// the whole text made masking a third of the analysis time.
var (
	secRe   = regexp.MustCompile(`^SEC\s*\(\s*"([^"\n]*)"\s*\)`)
	fieldRe = regexp.MustCompile(`^(__uint|__type|__array|__ulong)\s*\(\s*(\w+)\s*,\s*([^;]*?)\)\s*;`)
	attrRe  = regexp.MustCompile(`^(__ksym|__kconfig|__weak|__kptr|__kptr_untrusted|__kptr_ref|__percpu_kptr|__rcu|__user|__arg_ctx|__arg_nonnull|__arg_trusted|__arg_nullable|__arg_untrusted|__arg_arena|__hidden|__noinline|__always_inline|__uptr|__contains\s*\([^)]*\)|__aligned\s*\([^)]*\)|__aligned_largest)\b`)
)

func blank(b []byte, start, end int) {
	for i := start; i < end && i < len(b); i++ {
		if b[i] != '\n' {
			b[i] = ' '
		}
	}
}

// findAt returns the submatch indices of re (anchored with ^) at every
// occurrence of one of the literals that starts a word and that pre (when
// not nil) accepts, in text order, without overlaps. pre is a cheap test
// that spares the expression most occurrences; window bounds the text a
// shape may span, which keeps the expression on Go's backtracker (fast on
// small inputs) instead of its NFA.
func findAt(src string, literals []string, re *regexp.Regexp, window int, pre func(i int) bool) [][]int {
	return findWith(src, literals, re.FindStringSubmatchIndex, window, pre)
}

// findWith is findAt with any matcher of submatch indices.
func findWith(src string, literals []string, match func(string) []int, window int, pre func(i int) bool) [][]int {
	var starts []int
	for _, lit := range literals {
		for from := 0; ; {
			i := strings.Index(src[from:], lit)
			if i < 0 {
				break
			}
			i += from
			if (i == 0 || !isIdentByte(src[i-1])) && (pre == nil || pre(i)) {
				starts = append(starts, i)
			}
			from = i + len(lit)
		}
	}
	sort.Ints(starts)
	var out [][]int
	last := -1
	for _, i := range starts {
		if i < last {
			continue
		}
		loc := match(src[i:min(len(src), i+window)])
		if loc == nil {
			continue
		}
		for j := range loc {
			if loc[j] >= 0 {
				loc[j] += i
			}
		}
		out = append(out, loc)
		last = loc[1]
	}
	return out
}

// comments returns the byte ranges of comments in src.
func comments(src string) []analysis.Span {
	var out []analysis.Span
	for i := 0; i < len(src); i++ {
		switch {
		case src[i] == '"' || src[i] == '\'':
			q := src[i]
			for i++; i < len(src) && src[i] != q && src[i] != '\n'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case strings.HasPrefix(src[i:], "//"):
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src) - i
			}
			out = append(out, analysis.Span{Start: i, End: i + end})
			i += end
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				end = len(src) - i - 2
			}
			out = append(out, analysis.Span{Start: i, End: i + end + 4})
			i += end + 3
		}
	}
	return out
}

func inSpans(spans []analysis.Span, off int) bool {
	for _, s := range spans {
		if off >= s.Start && off < s.End {
			return true
		}
		if s.Start > off {
			return false
		}
	}
	return false
}

// mask blanks the macro shapes out of src and records them.
func mask(src string) masked {
	m := masked{text: []byte(src)}
	cs := comments(src)
	for _, loc := range findAt(src, []string{"SEC"}, secRe, 512, nil) {
		if inSpans(cs, loc[0]) {
			continue
		}
		m.sections = append(m.sections, Section{
			Name:     src[loc[2]:loc[3]],
			Span:     analysis.Span{Start: loc[0], End: loc[1]},
			NameSpan: analysis.Span{Start: loc[2], End: loc[3]},
		})
		blank(m.text, loc[0], loc[1])
	}
	for _, loc := range findAt(src, []string{"__uint", "__type", "__array", "__ulong"}, fieldRe, 1024, nil) {
		if inSpans(cs, loc[0]) {
			continue
		}
		m.fields = append(m.fields, MapField{
			Macro: src[loc[2]:loc[3]], Name: src[loc[4]:loc[5]],
			Value: strings.TrimSpace(src[loc[6]:loc[7]]),
			Span:  analysis.Span{Start: loc[0], End: loc[1]},
		})
		blank(m.text, loc[0], loc[1])
	}
	for _, loc := range findAt(src, []string{"__"}, attrRe, 256, func(i int) bool { return attrWords[identAt(src, i)] }) {
		if inSpans(cs, loc[0]) {
			continue
		}
		if strings.HasPrefix(src[loc[0]:], "__ksym") {
			m.ksyms = append(m.ksyms, loc[0])
		}
		blank(m.text, loc[0], loc[1])
	}
	blankTypeArgs(src, m.text, cs)
	return m
}

// matchTypeArg matches what `^(struct|union|enum)\s+[A-Za-z_]\w*[\s*]*`
// would, by hand: it runs at every struct after '(' or ',' (casts too).
func matchTypeArg(s string) []int {
	kw := 0
	for _, k := range []string{"struct", "union", "enum"} {
		if strings.HasPrefix(s, k) {
			kw = len(k)
			break
		}
	}
	if kw == 0 {
		return nil
	}
	i := kw
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i == kw || i == len(s) || !(s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		return nil
	}
	for i < len(s) && isIdentByte(s[i]) {
		i++
	}
	for i < len(s) && (isSpace(s[i]) || s[i] == '*') {
		i++
	}
	return []int{0, i, 0, kw}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// blankTypeArgs blanks the keyword (and stars) of types passed as macro
// arguments, container_of(p, struct sock, sk) or
// bpf_core_type_exists(struct x), which the C grammar cannot read as
// expressions; the type name stays as an identifier.
func blankTypeArgs(src string, text []byte, cs []analysis.Span) {
	// A type argument follows '(' or ','.
	afterOpen := func(i int) bool {
		j := i - 1
		for j >= 0 && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n') {
			j--
		}
		return j >= 0 && (src[j] == ',' || src[j] == '(')
	}
	for _, loc := range findWith(src, []string{"struct", "union", "enum"}, matchTypeArg, 256, afterOpen) {
		if inSpans(cs, loc[0]) {
			continue
		}
		before := strings.TrimRight(src[:loc[0]], " \t\n")
		after := strings.TrimLeft(src[loc[1]:], " \t\n")
		if after == "" || (after[0] != ',' && after[0] != ')') || before == "" {
			continue
		}
		switch before[len(before)-1] {
		case ',':
		case '(':
			head := strings.TrimRight(before[:len(before)-1], " \t")
			if head == "" || !isIdentByte(head[len(head)-1]) {
				continue // a cast, not a call
			}
		default:
			continue
		}
		blank(text, loc[2], loc[3])
		for i := loc[3]; i < loc[1]; i++ {
			if text[i] == '*' {
				text[i] = ' '
			}
		}
	}
}

// attrWords are the identifiers attrRe matches (the words before any
// parenthesis).
var attrWords = map[string]bool{"__ksym": true, "__kconfig": true, "__weak": true, "__kptr": true, "__kptr_untrusted": true,
	"__kptr_ref": true, "__percpu_kptr": true, "__rcu": true, "__user": true, "__arg_ctx": true, "__arg_nonnull": true,
	"__arg_trusted": true, "__arg_nullable": true, "__arg_untrusted": true, "__arg_arena": true, "__hidden": true,
	"__noinline": true, "__always_inline": true, "__uptr": true, "__contains": true, "__aligned": true, "__aligned_largest": true}

// identAt is the identifier starting at i.
func identAt(src string, i int) string {
	j := i
	for j < len(src) && isIdentByte(src[j]) {
		j++
	}
	return src[i:j]
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
