package bpfc

import (
	"context"
	"fmt"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// Options for Check.
type Options struct {
	KB *kb.KB
	// Path is the document's path; headers it includes with quotes are
	// read (through the kb) relative to its directory.
	Path string
	// IncludePaths are the configured include directories: besides the
	// program's directory and the system headers, the only places an
	// include may be read from (see include.go).
	IncludePaths []string
	// Others are the other kernels the program is checked against: a
	// name this kernel lacks is looked up there, to say which has it and
	// to suggest this kernel's rename of it.
	Others []kb.NamedKB
}

// Program is a function placed in a program section.
type Program struct {
	Name     string
	NameSpan analysis.Span
	Span     analysis.Span
	Section  Section
	Def      kb.SecDef
	Target   string
	Known    bool   // the section is a known program section
	Macro    string // BPF_KPROBE, BPF_PROG, ... or ""
	Params   []*sitter.Node
}

// Map is a map definition in SEC(".maps").
type Map struct {
	Name     string
	NameSpan analysis.Span
	Span     analysis.Span
	Fields   []MapField
}

// Summary describes a document's programs and maps.
type Summary struct {
	Programs    []Program
	Maps        []Map
	License     string
	HasLicense  bool
	LicenseSpan analysis.Span
	licenseRead bool // License was read from a string
}

var progMacros = map[string]bool{"BPF_KPROBE": true, "BPF_KRETPROBE": true, "BPF_PROG": true, "BPF_PROG2": true,
	"BPF_KSYSCALL": true, "BPF_KPROBE_SYSCALL": true, "BPF_UPROBE": true, "BPF_URETPROBE": true, "BPF_USDT": true}

func span(n *sitter.Node) analysis.Span {
	return analysis.Span{Start: int(n.StartByte()), End: int(n.EndByte())}
}

func text(src string, n *sitter.Node) string {
	s, e := int(n.StartByte()), int(n.EndByte())
	if s < 0 || e > len(src) || s > e {
		return ""
	}
	return src[s:e]
}

// funcName finds the declared name of a function_definition and its
// parameter list.
func funcName(n *sitter.Node) (*sitter.Node, *sitter.Node) {
	d := n.ChildByFieldId(fieldDeclarator)
	for d != nil {
		switch d.Kind() {
		case "function_declarator":
			return d.ChildByFieldId(fieldDeclarator), d.ChildByFieldId(fieldParameters)
		case "pointer_declarator", "parenthesized_declarator", "attributed_declarator":
			d = d.ChildByFieldId(fieldDeclarator)
			if d == nil {
				return nil, nil
			}
		default:
			return nil, nil
		}
	}
	return nil, nil
}

// topLevel lists the roots' children with one cursor walk each
// (Node.Child(i) steps through the siblings before i on every call).
func topLevel(roots []*sitter.Node) []sitter.Node {
	var out []sitter.Node
	for _, root := range roots {
		cur := root.Walk()
		out = append(out, root.Children(cur)...)
		cur.Close()
	}
	return out
}

// summarize describes the programs and maps of a file's top-level items.
func summarize(src string, m masked, tops []sitter.Node) Summary {
	s := summarizePart(src, m, tops, 0)
	s.finish(m)
	return s
}

// summarizePart describes a run of top-level items; prevEnd is where the
// last item before them (not a comment) ends.
func summarizePart(src string, m masked, tops []sitter.Node, prevEnd int) Summary {
	var s Summary
	n := uint(len(tops))
	for i := uint(0); i < n; i++ {
		c := &tops[i]
		if c.KindId() == kindComment {
			continue
		}
		start, end := int(c.StartByte()), int(c.EndByte())
		// Sections in front of (or inside) this node belong to it; the
		// last one counts.
		var sec *Section
		// Sections are in text order: the first at or after prevEnd.
		for j := sort.Search(len(m.sections), func(j int) bool { return m.sections[j].Span.Start >= prevEnd }); j < len(m.sections) && m.sections[j].Span.Start < end; j++ {
			sec = &m.sections[j]
		}
		prevEnd = end
		if sec == nil {
			continue
		}
		switch c.Kind() {
		case "function_definition":
			nameNode, params := funcName(c)
			if nameNode == nil {
				continue
			}
			p := Program{Name: text(src, nameNode), NameSpan: span(nameNode), Span: span(c), Section: *sec}
			if progMacros[p.Name] && params != nil {
				p.Macro = p.Name
				var ps []*sitter.Node
				for k := uint(0); k < params.NamedChildCount(); k++ {
					ps = append(ps, params.NamedChild(k))
				}
				if len(ps) > 0 {
					p.Name, p.NameSpan = strings.TrimSpace(text(src, ps[0])), span(ps[0])
					p.Params = ps[1:]
				}
			} else if params != nil {
				for k := uint(0); k < params.NamedChildCount(); k++ {
					p.Params = append(p.Params, params.NamedChild(k))
				}
			}
			p.Def, p.Target, p.Known = kb.LookupSEC(sec.Name)
			s.Programs = append(s.Programs, p)
		case "declaration":
			switch sec.Name {
			case "license":
				s.HasLicense = true
				s.LicenseSpan = span(c)
				if lit := findKind(c, "string_literal"); lit != nil {
					s.License = strings.Trim(text(src, lit), `"`)
					s.licenseRead = true
				}
			case ".maps", "maps":
				mp := Map{Span: span(c)}
				if id := declaredName(c); id != nil {
					mp.Name, mp.NameSpan = text(src, id), span(id)
				}
				// Fields are in text order: the first at or after start.
				for j := sort.Search(len(m.fields), func(j int) bool { return m.fields[j].Span.Start >= start }); j < len(m.fields) && m.fields[j].Span.Start < end; j++ {
					if f := m.fields[j]; f.Span.End <= end {
						mp.Fields = append(mp.Fields, f)
					}
				}
				s.Maps = append(s.Maps, mp)
			}
		default:
			if sec.Name == "license" {
				s.HasLicense = true
			}
		}
	}
	return s
}

// add appends a later part's summary.
func (s *Summary) add(p Summary) {
	s.Programs = append(s.Programs, p.Programs...)
	s.Maps = append(s.Maps, p.Maps...)
	if p.HasLicense {
		s.HasLicense = true
	}
	if p.LicenseSpan != (analysis.Span{}) {
		s.LicenseSpan = p.LicenseSpan
	}
	if p.licenseRead {
		s.License, s.licenseRead = p.License, true
	}
}

// finish counts a license section the items did not claim.
func (s *Summary) finish(m masked) {
	if !s.HasLicense {
		for _, sec := range m.sections {
			if sec.Name == "license" {
				s.HasLicense = true
			}
		}
	}
}

// findKind is the first node of a kind in n (n included), in document
// order.
func findKind(n *sitter.Node, kind string) *sitter.Node {
	id := cLang.IdForNodeKind(kind, true)
	var found *sitter.Node
	preorder(n, func(x *sitter.Node) bool {
		if found == nil && x.KindId() == id {
			found = x
		}
		return found == nil
	}, func() bool { return found == nil })
	return found
}

// preorder visits n and the nodes below it in document order, with a
// cursor: no recursion however deep the tree, and no Child(i), which steps
// through the siblings before i on every call. visit says whether to go
// into the node's children; more whether to go on at all.
func preorder(n *sitter.Node, visit func(*sitter.Node) bool, more func() bool) {
	cur := n.Walk()
	defer cur.Close()
	for more() {
		if visit(cur.Node()) && cur.GotoFirstChild() {
			continue
		}
		for cur.Depth() == 0 || !cur.GotoNextSibling() {
			if cur.Depth() == 0 || !cur.GotoParent() {
				return
			}
		}
	}
}

// declaredName is the identifier a declaration declares.
func declaredName(n *sitter.Node) *sitter.Node {
	d := n.ChildByFieldId(fieldDeclarator)
	for d != nil {
		switch d.Kind() {
		case "identifier", "field_identifier":
			return d
		case "init_declarator", "pointer_declarator", "array_declarator", "function_declarator", "parenthesized_declarator", "attributed_declarator":
			d = d.ChildByFieldId(fieldDeclarator)
		default:
			return nil
		}
	}
	return nil
}

type checker struct {
	path     string
	includes []string // quoted includes other than vmlinux.h
	src      string
	m        masked
	roots    []*sitter.Node // of the document's segments, in text order
	k        *kb.KB
	sum      Summary
	out      []analysis.Finding
	local    map[string]bool // functions, macros and variables defined in the file
	structs  map[string]bool // struct types defined in the file
	ksyms    map[string]bool
	vmlinux  bool        // the file includes vmlinux.h
	cache    *checkCache // nil: nothing is kept
	nodes    collector   // the walk's node buffer: each worker has its own
	ctxKey   string      // what besides its text decides a function's findings

	incLines []includeLine // every #include, in file order
	incRead  []string      // files of includes that may be read, in order
	incMaybe bool          // a quoted include was not found or not read

	// types keeps exprType's answers in the function being walked.
	types map[uintptr]typeAnswer
	// typeReported are the struct names (by offset) whose absence from
	// the kernel a program check reported; funcReported those reported
	// in the function being walked, which fnProg is (nil: not a program).
	typeReported map[int]bool
	funcReported map[int]bool
	fnProg       *Program
	others       []kb.NamedKB // the other targets (Options.Others)
	// typesAt is where a fix in the function being walked adds types:
	// the start of its line, or of its SEC()'s (flavor.go).
	typesAt int
	// shapes are the programs' handler shapes, by start (absence.go).
	shapes map[int]string
	// guards are the file's functions that test what the kernel has,
	// with the names they test; kconfig the kconfig values it declares
	// (guard.go). Read before the walk, only read during it.
	guards  map[string]map[string]bool
	kconfig map[string]bool
	ctx     context.Context
	// locals are the declarations of the function being walked
	// (paths.go); defines the file's numeric macros, structSizes the
	// sizes of the structs it defines (read before the walk).
	locals      map[string]localVar
	defines     map[string]int
	structSizes map[string]int
	// stopped is set once the check noticed ctx ended; shared by the
	// workers of a check.
	stopped *atomic.Bool
}

// alive reports whether the check should go on: false once ctx has ended.
func (c *checker) alive() bool {
	if c.stopped.Load() {
		return false
	}
	if c.ctx.Err() != nil {
		c.stopped.Store(true)
		return false
	}
	return true
}

func (c *checker) add(f analysis.Finding) { c.out = append(c.out, f) }

// clamp keeps a span inside a text of n bytes.
func clamp(s analysis.Span, n int) analysis.Span {
	s.Start = min(max(s.Start, 0), n)
	s.End = min(max(s.End, s.Start), n)
	return s
}

// check checks a parsed text. Once ctx ends it stops soon and returns
// ctx's error with the findings made so far; the cache then keeps what it
// had.
func check(ctx context.Context, src string, m masked, roots []*sitter.Node, opts Options, cache *checkCache) ([]analysis.Finding, error) {
	c := &checker{path: opts.Path, src: src, m: m, roots: roots, k: opts.KB, others: opts.Others, local: map[string]bool{}, structs: map[string]bool{}, ksyms: map[string]bool{}, typeReported: map[int]bool{}, cache: cache,
		ctx: ctx, stopped: new(atomic.Bool)}
	cache.begin()
	defer func() {
		if c.stopped.Load() {
			cache.abort()
		} else {
			cache.end()
		}
	}()
	if !c.alive() {
		return nil, ctx.Err()
	}
	// Each segment's items are listed, summarized and scanned for
	// file-scope definitions on a thread of its own; the results are
	// joined in file order.
	parts := make([]part, len(roots))
	each(len(parts), func(k int) { parts[k].list(roots[k]) })
	prevEnd := 0
	for k := range parts {
		parts[k].prevEnd = prevEnd
		if parts[k].lastEnd >= 0 {
			prevEnd = parts[k].lastEnd
		}
	}
	each(len(parts), func(k int) {
		p := &parts[k]
		var cl collector
		defer cl.free()
		p.sum = summarizePart(src, m, p.tops, p.prevEnd)
		p.scope = c.scanScope(p.tops, &cl)
	})
	var tops []sitter.Node
	for _, p := range parts {
		tops = append(tops, p.tops...)
		c.sum.add(p.sum)
		c.addScope(p.scope)
	}
	c.sum.finish(m)
	for _, root := range roots {
		c.syntax(root)
	}
	for _, p := range parts {
		c.scopeItems(p.scope)
	}
	c.license()
	c.kfuncs()
	for i := range c.sum.Programs {
		c.program(&c.sum.Programs[i])
	}
	for i := range c.sum.Maps {
		c.mapDef(&c.sum.Maps[i])
	}
	c.sections()
	c.resolveIncludes(opts)
	c.bcc()
	c.helperMapTypes()
	c.findGuards(tops)
	c.readDefines()
	c.readStructSizes(tops)
	c.ctxKey = c.context()
	if c.alive() {
		c.walkFunctions(tops)
	}
	for i := range c.out {
		c.out[i].Span = clamp(c.out[i].Span, len(src))
	}
	sort.SliceStable(c.out, func(i, j int) bool { return c.out[i].Span.Start < c.out[j].Span.Start })
	if !c.alive() {
		return c.out, ctx.Err()
	}
	return c.out, nil
}

// part is one segment's share of a check.
type part struct {
	tops    []sitter.Node
	lastEnd int // where the last item that is not a comment ends, or -1
	prevEnd int // the same for the parts before
	sum     Summary
	scope   fileScope
}

// list lists the items of a segment's tree.
func (p *part) list(root *sitter.Node) {
	p.tops = topLevel([]*sitter.Node{root})
	p.lastEnd = -1
	for i := len(p.tops) - 1; i >= 0; i-- {
		if p.tops[i].KindId() != kindComment {
			p.lastEnd = int(p.tops[i].EndByte())
			break
		}
	}
}

// each runs f(0) ... f(n-1), on threads of their own when n > 1, and
// returns when all have. A panic in any of them is raised again in the
// caller (with the stack where it happened) once all have stopped: the
// language server recovers from a failing check on its own goroutine, and
// a panic left on another one would end the process.
func each(n int, f func(int)) {
	if n <= 1 {
		if n == 1 {
			f(0)
		}
		return
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first any
	)
	run := func(k int) {
		defer wg.Done()
		defer func() {
			if p := recover(); p != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Sprintf("%v\n%s", p, debug.Stack())
				}
				mu.Unlock()
			}
		}()
		f(k)
	}
	wg.Add(n)
	for k := 1; k < n; k++ {
		go run(k)
	}
	run(0)
	wg.Wait()
	if first != nil {
		panic(first)
	}
}

// syntax reports ERROR and MISSING nodes: one finding per broken region.
func (c *checker) syntax(root *sitter.Node) {
	preorder(root, c.syntaxNode, func() bool { return len(c.out) < 20 && c.alive() })
}

// syntaxNode reports n if it is broken and tells whether to look inside.
func (c *checker) syntaxNode(n *sitter.Node) bool {
	if !n.HasError() {
		return false
	}
	if n.IsMissing() {
		c.add(analysis.New(analysis.KG100, analysis.Span{Start: int(n.StartByte()), End: int(n.StartByte()) + 1}, fmt.Sprintf("syntax error: missing %s", n.Kind())))
		return false
	}
	if n.IsError() {
		sp := span(n)
		t := strings.TrimSpace(text(c.src, n))
		if i := strings.IndexByte(t, '\n'); i >= 0 {
			t = t[:i]
		}
		if len(t) > 40 {
			t = t[:40] + "…"
		}
		if line := strings.IndexByte(c.src[sp.Start:sp.End], '\n'); line > 0 {
			sp.End = sp.Start + line
		}
		c.add(analysis.New(analysis.KG100, sp, fmt.Sprintf("syntax error near %q", t)))
		return false
	}
	return true
}

// fileScope is what one run of top-level items defines: the names of
// its functions, variables and macros, the files it includes, and for each
// item other than a function, the types and macros defined inside it.
type fileScope struct {
	names    []string
	includes []string
	incLines []includeLine
	vmlinux  bool
	items    []scopeItem
}

type scopeItem struct {
	start int
	key   string // the item's text: its cache key
	defs  localNames
}

// scanScope reads the file-scope definitions of tops. It only reads the
// checker (and its cache), so parts of a file are scanned at once; cl is
// the caller's node buffer.
func (c *checker) scanScope(tops []sitter.Node, cl *collector) fileScope {
	var fs fileScope
	for i := range tops {
		n := &tops[i]
		switch n.Kind() {
		case "function_definition":
			if id, _ := funcName(n); id != nil {
				fs.names = append(fs.names, text(c.src, id))
			}
		case "declaration":
			if id := declaredName(n); id != nil {
				fs.names = append(fs.names, text(c.src, id))
			}
		case "preproc_def", "preproc_function_def":
			if id := n.ChildByFieldId(fieldName); id != nil {
				fs.names = append(fs.names, text(c.src, id))
			}
		case "preproc_include":
			fs.incLines = appendInclude(fs.incLines, c.src, n)
			if p := n.ChildByFieldId(fieldPath); p != nil && p.Kind() == "string_literal" {
				if inc := strings.Trim(text(c.src, p), `"`); inc != "vmlinux.h" {
					fs.includes = append(fs.includes, inc)
				} else {
					fs.vmlinux = true
				}
			} else if p != nil && text(c.src, p) == "<vmlinux.h>" {
				fs.vmlinux = true // libbpf-tools include it so
			}
		}
	}
	// Types and macros defined at file scope, outside function bodies,
	// cached by the item's text.
	for i := range tops {
		n := &tops[i]
		if k := n.KindId(); k == kindFunctionDefinition || k == kindComment {
			continue
		}
		it := scopeItem{start: int(n.StartByte()), key: text(c.src, n)}
		var ok bool
		if it.defs, ok = c.cache.peekLocals(it.key); !ok {
			it.defs = definitions(c.src, n, cl)
		}
		fs.items = append(fs.items, it)
	}
	return fs
}

// addScope records a part's file-scope definitions, in file order.
func (c *checker) addScope(fs fileScope) {
	for _, n := range fs.names {
		c.local[n] = true
	}
	c.includes = append(c.includes, fs.includes...)
	c.incLines = append(c.incLines, fs.incLines...)
	c.vmlinux = c.vmlinux || fs.vmlinux
}

// scopeItems adds the types and macros of the parts' items (after every
// part's includes are known: a redefinition needs vmlinux.h) and keeps
// them in the cache.
func (c *checker) scopeItems(fs fileScope) {
	for _, it := range fs.items {
		c.cache.putLocals(it.key, it.defs)
		for _, t := range it.defs.types {
			c.structs[t.name] = true
			c.redefined(t, it.start)
		}
		for _, m := range it.defs.macros {
			c.local[m] = true
		}
	}
}

// definitions lists the struct and union types and the macros one
// top-level item defines.
func definitions(src string, n *sitter.Node, cl *collector) localNames {
	var out localNames
	start := int(n.StartByte())
	nodes, tags := cl.collect(n, localTags)
	for i := range nodes {
		d := &nodes[i]
		name := d.ChildByFieldId(fieldName)
		if name == nil {
			continue
		}
		switch tags[i] {
		case tagStruct, tagUnion:
			if d.ChildByFieldId(fieldBody) == nil {
				continue // a use, not a definition
			}
			kind := "struct"
			if tags[i] == tagUnion {
				kind = "union"
			}
			sp := span(name)
			out.types = append(out.types, localType{kind: kind, name: text(src, name), rel: sp.Shifted(-start)})
		case tagDefine, tagMacro:
			out.macros = append(out.macros, text(src, name))
		}
	}
	return out
}

// redefined reports a struct or union the file defines that vmlinux.h,
// which the file includes, already defines: clang stops at it.
func (c *checker) redefined(t localType, start int) {
	if !c.vmlinux || c.k == nil {
		return
	}
	if _, ok := c.k.Type(t.kind, t.name); !ok {
		return
	}
	c.add(analysis.New(analysis.KG407, t.rel.Shifted(start), fmt.Sprintf("%s %s is already defined by vmlinux.h (the kernel's %s %s): give the program's own type another name, e.g. %s_t", t.kind, t.name, t.kind, t.name, t.name)))
}

// The nodes definitions looks at, by tag.
const (
	tagStruct = 1 + iota
	tagUnion
	tagDefine
	tagMacro
)

var localTags = newTagSet("struct_specifier", "union_specifier", "preproc_def", "preproc_function_def")

var gplCompatible = map[string]bool{"GPL": true, "GPL v2": true, "GPL and additional rights": true,
	"Dual BSD/GPL": true, "Dual MIT/GPL": true, "Dual MPL/GPL": true}

func (c *checker) gpl() bool { return gplCompatible[c.sum.License] }

func (c *checker) license() {
	if len(c.sum.Programs) == 0 {
		return
	}
	if !c.sum.HasLicense {
		end := strings.IndexByte(c.src, '\n')
		if end < 0 {
			end = len(c.src)
		}
		c.add(analysis.New(analysis.KG501, analysis.Span{Start: 0, End: end}, `missing license: add char LICENSE[] SEC("license") = "GPL";`).
			WithFix("Add a GPL license", analysis.Span{Start: len(c.src), End: len(c.src)}, "\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n"))
	}
}

// nodeAt is the smallest named node at byte off.
func (c *checker) nodeAt(off int) *sitter.Node {
	for i := len(c.roots) - 1; i >= 0; i-- {
		if r := c.roots[i]; i == 0 || int(r.StartByte()) <= off {
			return r.NamedDescendantForByteRange(uint(off), uint(off))
		}
	}
	return nil
}

// kfuncs checks __ksym extern functions against the target's kfuncs.
func (c *checker) kfuncs() {
	for _, off := range c.m.ksyms {
		n := c.nodeAt(off)
		// The marker sits in a declarator a few levels below its
		// declaration (Parent costs the depth of the tree: bounded).
		for up := 0; n != nil && n.Kind() != "declaration" && n.Kind() != "translation_unit"; up++ {
			if up == 16 {
				n = nil
				break
			}
			n = n.Parent()
		}
		if n == nil || n.Kind() != "declaration" {
			continue
		}
		d := n.ChildByFieldId(fieldDeclarator)
		for d != nil && d.Kind() == "pointer_declarator" {
			d = d.ChildByFieldId(fieldDeclarator)
		}
		if d == nil || d.Kind() != "function_declarator" {
			// A kernel variable (__ksym) or a kfunc pointer: the name is
			// looked up in kallsyms by libbpf.
			if id := declaredName(n); id != nil {
				c.ksyms[text(c.src, id)] = true
			}
			continue
		}
		id := d.ChildByFieldId(fieldDeclarator)
		if id == nil {
			continue
		}
		name := text(c.src, id)
		c.ksyms[name] = true
		if c.k == nil {
			continue
		}
		kf, ok := c.k.Kfunc(name)
		if !ok {
			f := analysis.New(analysis.KG205, span(id), fmt.Sprintf("%s is not a kfunc of the target kernel", name))
			if weak.MatchString(text(c.src, n)) {
				// libbpf leaves a missing __weak kfunc NULL instead of
				// refusing the object.
				f.Severity = analysis.Warning
				f.Message += fmt.Sprintf("; declared __weak, the program provides for it: test bpf_ksym_exists(%s) before each call", name)
				c.add(f)
				continue
			}
			// A kfunc with the declaration's parameters first.
			declared := c.paramTypes(d.ChildByFieldId(fieldParameters))
			fits := func(cand string) bool {
				kf, ok := c.k.Kfunc(cand)
				if !ok || len(kf.Params) != len(declared) {
					return false
				}
				for i, p := range kf.Params {
					if normType(p.Type) != declared[i] {
						return false
					}
				}
				return true
			}
			if n := c.k.NearestFitting(kb.FamilyKfunc, name, 1, fits); len(n) > 0 {
				f.Message += "; did you mean " + n[0]
				f.Fixes = append(f.Fixes, c.renameAll(name, n[0]))
			}
			c.add(f)
			continue
		}
		params := d.ChildByFieldId(fieldParameters)
		if params != nil {
			got := 0
			for i := uint(0); i < params.NamedChildCount(); i++ {
				p := params.NamedChild(i)
				if p.Kind() == "parameter_declaration" && strings.TrimSpace(text(c.src, p)) != "void" {
					got++
				}
			}
			if got != len(kf.Params) {
				c.add(analysis.New(analysis.KG205, span(id), fmt.Sprintf("%s takes %d argument(s) on the target kernel, declared with %d", name, len(kf.Params), got)).
					WithNote("kernel prototype: " + kf.Proto()))
			}
		}
	}
}

func (c *checker) sections() {
	onPrograms := make(map[analysis.Span]bool, len(c.sum.Programs))
	for _, p := range c.sum.Programs {
		onPrograms[p.Section.Span] = true
	}
	for _, s := range c.m.sections {
		if kb.IsDataSection(s.Name) {
			continue
		}
		if _, _, ok := kb.LookupSEC(s.Name); ok {
			continue
		}
		// Programs are reported in program(); sections not on a
		// function are reported here.
		if !onPrograms[s.Span] {
			c.unknownSection(s)
		}
	}
}

func (c *checker) unknownSection(s Section) {
	prefix, _, _ := strings.Cut(s.Name, "/")
	f := analysis.New(analysis.KG301, s.NameSpan, fmt.Sprintf("unknown section %q: libbpf does not know the prefix %s", s.Name, prefix))
	if n := kb.Nearest(kb.SECNames(), prefix, 1); len(n) > 0 {
		f.Message += "; did you mean " + n[0]
		fixed := n[0] + strings.TrimPrefix(s.Name, prefix)
		f = f.WithFix("Replace with "+fixed, s.NameSpan, fixed)
	}
	c.add(f)
}

// program checks a program's section and attach target.
func (c *checker) program(p *Program) {
	if !p.Known {
		c.unknownSection(p.Section)
		return
	}
	if c.k == nil {
		return
	}
	c.macroParamTypes(p)
	target := p.Target
	tsp := analysis.Span{Start: p.Section.NameSpan.End - len(target), End: p.Section.NameSpan.End}
	if p.Def.Attach != "" {
		if s := c.k.AttachSupport(p.Def.Attach); s.Supported == kb.No {
			what, instead := p.Def.Attach+" programs", "use a tracepoint (tp/) or tp_btf/"
			switch p.Def.Attach {
			case kb.AttachKprobe, kb.AttachKprobeMulti:
				what = "kprobes"
				if c.k.AttachSupport(kb.AttachFentry).Supported == kb.Yes {
					instead = "use fentry/ or a tracepoint"
				}
			case kb.AttachFentry, kb.AttachFexit:
				instead = "use tp_btf/ or a tracepoint"
			case kb.AttachLSM:
				instead = "the kernel refuses BPF LSM programs"
			}
			f := analysis.New(analysis.KG308, p.Section.NameSpan, fmt.Sprintf("%s are not available on the target kernel; %s", what, instead))
			if s.Reason != "" {
				f = f.WithNote("the kernel: " + s.Reason)
			}
			c.add(f)
		}
	}
	switch {
	case target == "" && p.Def.Target != "" && !p.Def.Optional:
		c.add(analysis.New(analysis.KG301, p.Section.NameSpan, fmt.Sprintf("section %q needs a target: %s/%s", p.Section.Name, p.Def.Prefix, p.Def.Target)))
	case target == "":
	case p.Def.Attach == kb.AttachKprobe && !strings.Contains(p.Def.Prefix, "syscall"):
		fn := target
		if i := strings.IndexByte(fn, '+'); i >= 0 {
			fn = fn[:i]
			tsp.End = tsp.Start + i
		}
		c.kernelFunc(p, fn, tsp)
		c.protoArgs(p, fn, 0)
	case p.Def.Attach == kb.AttachFentry || p.Def.Attach == kb.AttachFexit:
		if _, ok := c.k.Func(target); !ok {
			c.kernelFunc(p, target, tsp)
		}
		extra := 0
		if p.Def.Attach == kb.AttachFexit {
			extra = 1
		}
		c.protoArgs(p, target, extra)
	case p.Def.Attach == kb.AttachTracepoint:
		cat, name, ok := strings.Cut(target, "/")
		if !ok {
			c.add(analysis.New(analysis.KG301, tsp, fmt.Sprintf("tracepoint section target %q must be CATEGORY/NAME", target)))
			return
		}
		if !c.k.TracepointsKnown() || strings.ContainsAny(target, "*?") {
			return
		}
		if _, ok := c.k.Tracepoint(cat, name); !ok {
			f := analysis.New(analysis.KG304, tsp, fmt.Sprintf("tracepoint %s/%s does not exist", cat, name))
			n := c.k.Nearest(kb.FamilyTracepoint, cat+":"+name, 1)
			if len(n) == 0 {
				// The name under another category (sched/sys_enter_execve).
				for _, o := range c.k.Nearest(kb.FamilyTracepoint, name, 4) {
					if _, on, _ := strings.Cut(o, ":"); on == name {
						n = []string{o}
						break
					}
				}
			}
			if len(n) > 0 {
				fixed := strings.Replace(n[0], ":", "/", 1)
				f.Message += "; did you mean " + fixed
				f = f.WithFix("Replace with "+fixed, tsp, fixed)
			}
			if on := c.othersWith(func(k *kb.KB) bool { _, ok := k.Tracepoint(cat, name); return ok }); len(on) > 0 {
				f = f.WithNote(fmt.Sprintf("%s/%s is on %s", cat, name, strings.Join(on, ", ")))
			}
			c.add(c.provideFor(p, f))
		}
	case p.Def.Attach == kb.AttachRawTP || p.Def.Attach == kb.AttachTpBTF:
		if c.k.RawTracepoint(target) == kb.No {
			f := analysis.Missing(analysis.KG305, tsp, "raw tracepoint", target, c.k.Nearest(kb.FamilyRawTP, target, 1))
			if on := c.othersWith(func(k *kb.KB) bool { return k.RawTracepoint(target) == kb.Yes }); len(on) > 0 {
				f = f.WithNote(fmt.Sprintf("%s is on %s", target, strings.Join(on, ", ")))
			}
			c.add(c.provideFor(p, f))
		}
	case p.Def.Attach == kb.AttachLSM:
		if _, ok := c.k.Func("bpf_lsm_" + target); !ok && c.k.NumFuncs() > 0 {
			f := analysis.New(analysis.KG302, tsp, fmt.Sprintf("LSM hook %s does not exist", target))
			var hooks []string
			for _, fn := range c.k.Nearest(kb.FamilyFunc, "bpf_lsm_"+target, 3) {
				if h, ok := strings.CutPrefix(fn, "bpf_lsm_"); ok {
					hooks = append(hooks, h)
				}
			}
			if len(hooks) > 0 {
				f.Message += "; did you mean " + hooks[0]
				f = f.WithFix("Replace with "+hooks[0], tsp, hooks[0])
			}
			c.add(f)
		}
	case p.Def.Attach == kb.AttachUprobe || p.Def.Attach == kb.AttachUSDT:
		bin, _, _ := strings.Cut(target, ":")
		if strings.HasPrefix(bin, "/") && !strings.ContainsAny(bin, "*?") && c.k.FileExists(bin) == kb.No {
			c.add(analysis.New(analysis.KG306, analysis.Span{Start: tsp.Start, End: tsp.Start + len(bin)}, fmt.Sprintf("binary %s does not exist on this machine", bin)))
		}
	}
}

func (c *checker) kernelFunc(p *Program, fn string, sp analysis.Span) {
	if strings.ContainsAny(fn, "*?") {
		return
	}
	if _, present := c.k.KernelFunc(fn); present == kb.No {
		c.add(c.provideFor(p, c.missingFunc(fn, sp)))
	}
}

// othersWith names the other targets of which has is true.
func (c *checker) othersWith(has func(*kb.KB) bool) []string {
	var out []string
	for _, o := range c.others {
		if o.KB != nil && o.KB != c.k && has(o.KB) {
			out = append(out, o.Name)
		}
	}
	return out
}

// missingFunc is the finding for a kernel function this kernel lacks:
// with this kernel's rename of it when it has one ("this kernel has
// kmem_cache_alloc_noprof (same prototype as kmem_cache_alloc on
// debian-6.1)"), else the nearest name, ranked by the prototype the
// function has on another target.
func (c *checker) missingFunc(fn string, sp analysis.Span) analysis.Finding {
	var like *kb.Func
	var likeOn, hasIt []string
	for _, o := range c.others {
		if o.KB == nil || o.KB == c.k {
			continue
		}
		if f, ok := o.KB.Func(fn); ok {
			if like == nil {
				like = f
			}
			if kb.SameProto(f, like) {
				likeOn = append(likeOn, o.Name)
			}
			hasIt = append(hasIt, o.Name)
		} else if _, present := o.KB.KernelFunc(fn); present == kb.Yes {
			hasIt = append(hasIt, o.Name)
		}
	}
	if r, ok := c.k.RenamedFunc(fn); ok {
		msg := fmt.Sprintf("kernel function %s does not exist; this kernel has %s", fn, r)
		if rf, ok := c.k.Func(r); ok && like != nil {
			if kb.SameProto(rf, like) {
				msg += fmt.Sprintf(" (same prototype as %s on %s)", fn, strings.Join(likeOn, ", "))
			} else {
				msg += fmt.Sprintf(" (its prototype differs from %s on %s: %s)", fn, likeOn[0], like.Proto())
			}
		} else if len(hasIt) > 0 {
			msg += fmt.Sprintf(" (%s is on %s)", fn, strings.Join(hasIt, ", "))
		}
		return analysis.New(analysis.KG302, sp, msg).WithFix("Replace with "+r, sp, r)
	}
	f := analysis.Missing(analysis.KG302, sp, "kernel function", fn, c.k.NearestFunc(fn, 1, like))
	if len(hasIt) > 0 {
		f = f.WithNote(fn + " is on " + strings.Join(hasIt, ", "))
	}
	return f
}

// protoArgs compares BPF_KPROBE/BPF_PROG argument lists with the target's
// BTF prototype.
func (c *checker) protoArgs(p *Program, fn string, extra int) {
	if p.Macro == "" {
		return
	}
	proto, ok := c.k.Func(fn)
	if !ok {
		return
	}
	max := len(proto.Params) + extra
	if p.Macro == "BPF_KRETPROBE" {
		max = 1
	}
	if len(p.Params) > max && !proto.Variadic {
		sp := span(p.Params[max])
		sp.End = int(p.Params[len(p.Params)-1].EndByte())
		f := analysis.New(analysis.KG404, sp, fmt.Sprintf("%s has %d argument(s) but %s declares %d", fn, max, p.Macro, len(p.Params))).
			WithNote("kernel prototype: " + proto.Proto())
		if !c.paramsUsed(p, p.Params[max:]) {
			// Unused, the extra arguments are never read: the program
			// loads on this kernel as on those whose prototype has them.
			f.Severity = analysis.Warning
			f.Message += " (the extra ones are unused, so the program still loads on this kernel)"
		}
		c.add(f)
	}
}

var weak = regexp.MustCompile(`\b__weak\b|__attribute__\s*\(\(\s*weak\s*\)\)`)

// paramsUsed reports whether the program's body names any of params.
func (c *checker) paramsUsed(p *Program, params []*sitter.Node) bool {
	names := map[string]bool{}
	for _, prm := range params {
		if id := declaredName(prm); id != nil {
			names[text(c.src, id)] = true
		} else {
			return true // not a plain declaration: assume it is read
		}
	}
	fn := c.functionAt(p.Span.Start)
	if fn == nil {
		return true
	}
	body := fn.ChildByFieldId(fieldBody)
	if body == nil {
		return true
	}
	used := false
	preorder(body, func(x *sitter.Node) bool {
		if x.KindId() == kindIdentifier && names[text(c.src, x)] {
			used = true
		}
		return !used
	}, func() bool { return !used })
	return used
}

var mapTypesNeedingKV = map[string]bool{"BPF_MAP_TYPE_HASH": true, "BPF_MAP_TYPE_ARRAY": true, "BPF_MAP_TYPE_PERCPU_HASH": true,
	"BPF_MAP_TYPE_PERCPU_ARRAY": true, "BPF_MAP_TYPE_LRU_HASH": true, "BPF_MAP_TYPE_LRU_PERCPU_HASH": true, "BPF_MAP_TYPE_LPM_TRIE": true}

func (c *checker) mapDef(mp *Map) {
	var typ MapField
	has := map[string]bool{}
	for _, f := range mp.Fields {
		has[f.Name] = true
		if f.Name == "type" {
			typ = f
		}
	}
	if typ.Name == "" {
		if mp.Name != "" {
			c.add(analysis.New(analysis.KG502, mp.NameSpan, fmt.Sprintf("map %s has no type: add __uint(type, BPF_MAP_TYPE_HASH) or another map type", mp.Name)))
		}
		return
	}
	if c.k != nil {
		if enum, ok := c.k.Type("enum", "bpf_map_type"); ok && strings.HasPrefix(typ.Value, "BPF_MAP_TYPE_") {
			found := false
			var names []string
			for _, m := range enum.Members {
				names = append(names, m.Name)
				if m.Name == typ.Value {
					found = true
				}
			}
			if !found {
				vs := strings.Index(c.src[typ.Span.Start:typ.Span.End], typ.Value)
				sp := analysis.Span{Start: typ.Span.Start + vs, End: typ.Span.Start + vs + len(typ.Value)}
				f := analysis.New(analysis.KG502, sp, fmt.Sprintf("unknown map type %s", typ.Value))
				if n := kb.Nearest(names, typ.Value, 1); len(n) > 0 {
					f.Message += "; did you mean " + n[0]
					f = f.WithFix("Replace with "+n[0], sp, n[0])
				}
				c.add(f)
				return
			}
		}
	}
	c.mapShape(mp, typ, has)
	if mapTypesNeedingKV[typ.Value] {
		for _, kv := range []string{"key", "value"} {
			if !has[kv] && !has[kv+"_size"] {
				c.add(analysis.New(analysis.KG502, mp.NameSpan, fmt.Sprintf("map %s of type %s needs a %s: add __type(%s, ...)", mp.Name, typ.Value, kv, kv)))
			}
		}
	}
}

var _ = strconv.Itoa
