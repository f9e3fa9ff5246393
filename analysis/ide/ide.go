// Package ide computes editor features (hover, completion, symbols) from
// text, byte offsets and the kb, as plain values; lsp/ converts them.
package ide

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// Hover is hover content in Markdown over a span.
type Hover struct {
	Markdown string
	Span     analysis.Span
	// Kind and Name are the kb lookup the hover shows (kb.LookupFacts),
	// when it shows kernel facts: a front can ask other kernels too.
	Kind, Name string
}

// Availability is Markdown saying which of several kernels have what h
// shows (and the nearest name where one does not); "" when h shows no
// kernel facts.
func Availability(h Hover, targets []string, kbs []*kb.KB) string {
	if h.Kind == "" || len(kbs) < 2 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n\n**On the targets**  \n")
	for i, k := range kbs {
		res, err := k.LookupFacts(h.Kind, h.Name)
		switch {
		case err != nil:
			fmt.Fprintf(&b, "%s: unknown (%v)  \n", targets[i], err)
		case len(res.Matches) > 0:
			fmt.Fprintf(&b, "%s (%s): yes  \n", targets[i], k.Meta.Kernel)
		case len(res.Nearest) > 0:
			fmt.Fprintf(&b, "%s (%s): **no**; nearest: %s  \n", targets[i], k.Meta.Kernel, strings.Join(res.Nearest[:min(3, len(res.Nearest))], ", "))
		default:
			fmt.Fprintf(&b, "%s (%s): **no**  \n", targets[i], k.Meta.Kernel)
		}
	}
	return b.String()
}

func isWord(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// lookBack bounds how far before the cursor hover and completion search
// for a declaration, a SEC() or a probe header: regular expressions over
// the whole prefix of a 10 MB document took half a second.
const lookBack = 64 << 10

// tail is the last n bytes of s, starting at a line boundary when one is
// near.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < 256 {
		s = s[i+1:]
	}
	return s
}

// WordAt returns the identifier around off.
func WordAt(text string, off int) (string, analysis.Span) {
	if off > len(text) {
		off = len(text)
	}
	s, e := off, off
	for s > 0 && isWord(text[s-1]) {
		s--
	}
	for e < len(text) && isWord(text[e]) {
		e++
	}
	return text[s:e], analysis.Span{Start: s, End: e}
}

// HoverAt describes the name under the cursor.
func HoverAt(text string, off int, d analysis.Dialect, k *kb.KB, bpftraceRelease string) (Hover, bool) {
	word, sp := WordAt(text, off)
	if word == "" || k == nil {
		return Hover{}, false
	}
	// Tracepoints: cat:name (bpftrace) or cat/name (SEC).
	if tp := tracepointAround(text, sp, k); tp != nil {
		if h, ok := factHover(k, "tracepoint", tp.Category+":"+tp.Name, sp); ok {
			return h, true
		}
	}
	if h, ok := fieldHover(text, sp, word, k); ok {
		return h, true
	}
	if d == analysis.DialectBpftrace {
		if h, ok := btHover(text, sp, word, bpftraceRelease); ok {
			return h, true
		}
	}
	for _, kind := range []string{"helper", "kfunc", "function"} {
		if h, ok := factHover(k, kind, word, sp); ok {
			return h, true
		}
	}
	// A struct or union name after its keyword is described by its
	// members; a typedef wherever it is used.
	before := strings.TrimSpace(text[max(0, sp.Start-16):sp.Start])
	if strings.HasSuffix(before, "struct") || strings.HasSuffix(before, "union") {
		if h, ok := factHover(k, "struct", word, sp); ok {
			return h, true
		}
	}
	if _, ok := k.Type("typedef", word); ok {
		return factHover(k, "struct", word, sp)
	}
	return Hover{}, false
}

// factHover renders the kb's facts about name (of a lookup kind) as
// hover Markdown: the same facts kgent kb lookup prints and MCP's
// lookup_kernel returns.
func factHover(k *kb.KB, kind, name string, sp analysis.Span) (Hover, bool) {
	res, err := k.LookupFacts(kind, name)
	if err != nil || len(res.Matches) == 0 {
		return Hover{}, false
	}
	var b strings.Builder
	for i, m := range res.Matches {
		if i > 0 {
			b.WriteString("\n---\n\n")
		}
		b.WriteString(FactMarkdown(m, k.Meta.Kernel))
	}
	return Hover{Markdown: b.String(), Span: sp, Kind: kind, Name: name}, true
}

// FactMarkdown is one kb match in Markdown: a heading, code (prototype,
// fields or members) in a C block, then the other facts.
func FactMarkdown(m kb.Match, kernel string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s %s**", m.Kind, m.Name)
	if kernel != "" {
		fmt.Fprintf(&b, " (kernel %s)", kernel)
	}
	b.WriteString("\n\n")
	if code := m.CodeLines(); len(code) > 0 {
		b.WriteString("```c\n" + strings.Join(code, "\n") + "\n```\n\n")
	}
	for _, l := range m.FactLines() {
		b.WriteString(l + "  \n")
	}
	return b.String()
}

var fieldBaseRe = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*(->|\.)\s*$`)

// fieldHover describes a struct member reached with -> or . from a
// variable declared `struct X *var` earlier in the file.
func fieldHover(text string, sp analysis.Span, field string, k *kb.KB) (Hover, bool) {
	m := fieldBaseRe.FindStringSubmatch(tail(text[:sp.Start], 256))
	if m == nil {
		return Hover{}, false
	}
	decl := regexp.MustCompile(`(struct|union)\s+([A-Za-z_][A-Za-z0-9_]*)\s*\*?\s*` + regexp.QuoteMeta(m[1]) + `\b`)
	ds := decl.FindAllStringSubmatch(tail(text[:sp.Start], lookBack), -1)
	if len(ds) == 0 {
		return Hover{}, false
	}
	last := ds[len(ds)-1]
	t, ok := k.Type(last[1], last[2])
	if !ok {
		return Hover{}, false
	}
	mem, ok := k.Member(t, field)
	if !ok {
		return Hover{}, false
	}
	md := fmt.Sprintf("**%s %s.%s**\n\n```c\n%s %s;\n```\n\noffset %d bytes", t.Kind, t.Name, field, mem.Type, field, mem.Offset/8)
	if mem.Bits > 0 {
		md += fmt.Sprintf(" (bit %d, %d bits wide)", mem.Offset%8, mem.Bits)
	}
	return Hover{Markdown: md, Span: sp}, true
}

var tpRe = regexp.MustCompile(`(?:tracepoint:|t:|tp/|tracepoint/)([A-Za-z0-9_]+)[:/]([A-Za-z0-9_]+)`)

func tracepointAround(text string, sp analysis.Span, k *kb.KB) *kb.Tracepoint {
	ls := strings.LastIndexByte(text[:sp.Start], '\n') + 1
	le := strings.IndexByte(text[sp.Start:], '\n')
	if le < 0 {
		le = len(text)
	} else {
		le += sp.Start
	}
	for _, m := range tpRe.FindAllStringSubmatchIndex(text[ls:le], -1) {
		if ls+m[0] <= sp.Start && sp.End <= ls+m[1] {
			if tp, ok := k.Tracepoint(text[ls+m[2]:ls+m[3]], text[ls+m[4]:ls+m[5]]); ok {
				return tp
			}
		}
	}
	return nil
}

// Item is a completion item.
type Item struct {
	Label  string
	Kind   string // function, variable, field, module, event, keyword
	Detail string
	Doc    string
	// Sort orders items; lower first.
	Sort int
	// Ref names the kb entry whose documentation Resolve adds later
	// ("helper:NAME", "kfunc:NAME", "func:NAME"); empty when Doc is
	// already complete.
	Ref string
}

// Resolve returns the documentation of a completion item's Ref: a
// prototype and, for helpers, the description from the installed headers.
// Reading docs per item is too slow for whole lists, so editors ask for
// them one item at a time.
func Resolve(ref string, k *kb.KB) string {
	kind, name, ok := strings.Cut(ref, ":")
	if !ok || k == nil {
		return ""
	}
	switch kind {
	case "helper":
		h, ok := k.Helper(name)
		if !ok {
			return ""
		}
		var b strings.Builder
		if h.Func != nil {
			b.WriteString(h.Func.Proto() + "\n\n")
		}
		b.WriteString(kb.HelperDoc(name))
		return strings.TrimSpace(b.String())
	case "kfunc":
		if kf, ok := k.Kfunc(name); ok {
			return "kfunc " + kf.Proto()
		}
	case "func":
		if fn, present := k.KernelFunc(name); present == kb.Yes && fn != nil {
			return fn.Proto()
		}
	}
	return ""
}

// MaxItems caps a completion list.
const MaxItems = 200

var (
	secPrefixRe  = regexp.MustCompile(`SEC\("([A-Za-z0-9_./:+-]*)$`)
	btAttachRe   = regexp.MustCompile(`(?m)^\s*([A-Za-z]+):([A-Za-z0-9_:*./+-]*)$`)
	argsFieldRe  = regexp.MustCompile(`\bargs(->|\.)([A-Za-z0-9_]*)$`)
	arrowFieldRe = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)->([A-Za-z0-9_]*)$`)
)

// Complete lists completions at off.
func Complete(text string, off int, d analysis.Dialect, k *kb.KB, bpftraceRelease string) []Item {
	if off > len(text) {
		off = len(text)
	}
	lineStart := strings.LastIndexByte(text[:off], '\n') + 1
	line := text[lineStart:off]
	var items []Item
	switch d {
	case analysis.DialectC:
		if m := secPrefixRe.FindStringSubmatch(line); m != nil {
			return secItems(m[1], k)
		}
		if m := arrowFieldRe.FindStringSubmatch(line); m != nil && k != nil {
			return fieldItems(text, lineStart, m[1], m[2], k)
		}
		word, _ := WordAt(text, off)
		items = helperItems(word, programType(tail(text[:off], lookBack)), k)
	case analysis.DialectBpftrace:
		if m := btAttachRe.FindStringSubmatch(line); m != nil && k != nil {
			return attachItems(m[1], m[2], k)
		}
		if m := argsFieldRe.FindStringSubmatch(line); m != nil && k != nil {
			return argsItems(text, off, m[2], k)
		}
		word, sp := WordAt(text, off)
		if strings.TrimSpace(text[lineStart:sp.Start]) == "" && word != "" {
			items = append(items, btProbeItems(word, bpftraceRelease)...)
		}
		items = append(items, btNameItems(text, off, word, bpftraceRelease)...)
	}
	return finish(items)
}

func finish(items []Item) []Item {
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].Sort != items[j].Sort {
			return items[i].Sort < items[j].Sort
		}
		if len(items[i].Label) != len(items[j].Label) {
			return len(items[i].Label) < len(items[j].Label)
		}
		return items[i].Label < items[j].Label
	})
	if len(items) > MaxItems {
		items = items[:MaxItems]
	}
	return items
}

func secItems(prefix string, k *kb.KB) []Item {
	var items []Item
	if k != nil {
		if def, target, ok := kb.LookupSEC(prefix); ok && strings.Contains(prefix, "/") {
			switch def.Attach {
			case kb.AttachKprobe, kb.AttachFentry, kb.AttachFexit:
				return finish(funcItems(target, k))
			case kb.AttachTracepoint:
				return finish(tracepointItems(target, "/", k))
			case kb.AttachRawTP, kb.AttachTpBTF:
				for n := range k.RawTracepoints() {
					if strings.HasPrefix(n, target) {
						items = append(items, Item{Label: n, Kind: "event"})
					}
				}
				return finish(items)
			}
		}
	}
	for _, n := range kb.SECNames() {
		if strings.HasPrefix(n, prefix) {
			def, _, _ := kb.LookupSEC(n)
			detail := def.ProgType + " program"
			if def.Target != "" {
				detail += ", target " + n + "/" + def.Target
			}
			items = append(items, Item{Label: n, Kind: "module", Detail: detail})
		}
	}
	return finish(items)
}

func funcItems(prefix string, k *kb.KB) []Item {
	var items []Item
	for f := range k.FuncsWithPrefix(prefix) {
		items = append(items, Item{Label: f.Name, Kind: "function", Detail: f.Proto(), Ref: "func:" + f.Name})
		if len(items) >= MaxItems {
			break
		}
	}
	return items
}

func tracepointItems(target, sep string, k *kb.KB) []Item {
	var items []Item
	cat, name, hasName := strings.Cut(target, sep)
	seen := map[string]bool{}
	for tp := range k.Tracepoints() {
		if !hasName {
			if strings.HasPrefix(tp.Category, cat) && !seen[tp.Category] {
				seen[tp.Category] = true
				items = append(items, Item{Label: tp.Category, Kind: "module", Detail: "tracepoint category"})
			}
			continue
		}
		if tp.Category == cat && strings.HasPrefix(tp.Name, name) {
			var fields []string
			for _, f := range tp.Fields {
				fields = append(fields, f.Type+" "+f.Name)
			}
			items = append(items, Item{Label: tp.Name, Kind: "event", Detail: "tracepoint", Doc: strings.Join(fields, "\n")})
		}
	}
	return items
}

var lastSecRe = regexp.MustCompile(`SEC\("([^"]+)"\)`)

// programType is the program type of the last SEC() before the cursor.
func programType(before string) string {
	ms := lastSecRe.FindAllStringSubmatch(before, -1)
	if len(ms) == 0 {
		return ""
	}
	def, _, ok := kb.LookupSEC(ms[len(ms)-1][1])
	if !ok {
		return ""
	}
	return def.ProgType
}

// helperItems lists helpers starting with word, those the program type
// may call on the target first.
func helperItems(word, progType string, k *kb.KB) []Item {
	if k == nil || len(word) < 2 {
		return nil
	}
	var items []Item
	for h := range k.Helpers() {
		if !strings.HasPrefix(h.Name, word) {
			continue
		}
		it := Item{Label: h.Name, Kind: "function", Ref: "helper:" + h.Name}
		if h.Func != nil {
			it.Detail = h.Func.Proto()
		}
		if progType != "" && h.Allowed != nil && h.Allowed[progType] == kb.No {
			it.Sort = 1
			it.Detail = "not available in " + progType + " programs: " + it.Detail
		}
		items = append(items, it)
	}
	// kfuncs come after the helpers: they need a __ksym declaration.
	for kf := range k.Kfuncs() {
		if strings.HasPrefix(kf.Name, word) {
			items = append(items, Item{Label: kf.Name, Kind: "function", Detail: "kfunc " + kf.Proto(), Sort: 2, Ref: "kfunc:" + kf.Name})
		}
	}
	return items
}

func fieldItems(text string, lineStart int, variable, prefix string, k *kb.KB) []Item {
	// Find the variable's declared struct type above the cursor.
	re := regexp.MustCompile(`struct\s+([A-Za-z_][A-Za-z0-9_]*)\s*\*\s*` + regexp.QuoteMeta(variable) + `\b`)
	ms := re.FindAllStringSubmatch(tail(text[:lineStart], lookBack), -1)
	if len(ms) == 0 {
		return nil
	}
	t, ok := k.Type("struct", ms[len(ms)-1][1])
	if !ok {
		return nil
	}
	var items []Item
	for _, m := range t.Members {
		if m.Name != "" && strings.HasPrefix(m.Name, prefix) {
			items = append(items, Item{Label: m.Name, Kind: "field", Detail: m.Type})
		}
	}
	return finish(items)
}

func attachItems(probe, rest string, k *kb.KB) []Item {
	switch probe {
	case "kprobe", "k", "kretprobe", "kr", "kfunc", "f", "kretfunc", "fr", "fentry", "fexit":
		return finish(funcItems(rest, k))
	case "tracepoint", "t":
		return finish(tracepointItems(rest, ":", k))
	case "rawtracepoint", "rt":
		var items []Item
		for n := range k.RawTracepoints() {
			if strings.HasPrefix(n, rest) {
				items = append(items, Item{Label: n, Kind: "event"})
			}
		}
		return finish(items)
	}
	return nil
}

var probeHeadRe = regexp.MustCompile(`(?m)^\s*(?:tracepoint|t):([A-Za-z0-9_]+):([A-Za-z0-9_]+)`)

func argsItems(text string, off int, prefix string, k *kb.KB) []Item {
	ms := probeHeadRe.FindAllStringSubmatch(tail(text[:off], lookBack), -1)
	if len(ms) == 0 {
		return nil
	}
	m := ms[len(ms)-1]
	tp, ok := k.Tracepoint(m[1], m[2])
	if !ok {
		return nil
	}
	var items []Item
	for _, f := range tp.Fields {
		if strings.HasPrefix(f.Name, prefix) {
			items = append(items, Item{Label: f.Name, Kind: "field", Detail: f.Type})
		}
	}
	return finish(items)
}
