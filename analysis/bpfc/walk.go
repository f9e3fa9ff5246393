package bpfc

import (
	"fmt"
	"strings"
	"sync/atomic"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// Kind ids exprType compares.
var (
	kindCast            = cLang.IdForNodeKind("cast_expression", true)
	kindFieldExpression = cLang.IdForNodeKind("field_expression", true)
	kindIdentifier      = cLang.IdForNodeKind("identifier", true)
	kindParenthesized   = cLang.IdForNodeKind("parenthesized_expression", true)
)

// varType is what the checker knows of a variable: the struct or union it
// points to (or is), from its declaration.
type varType struct {
	ref     string
	pointer bool
	// flavor is the program's own ___flavor of ref the variable has
	// (struct task_struct___o): its fields are checked against ref
	// leniently, a field the kernel lacks being the point of a flavor.
	flavor string
	// decl is the span of the struct's name in the declaration, for
	// findings about the type itself.
	decl analysis.Span
}

var deprecated = map[string][2]string{
	"bpf_probe_read":     {"bpf_probe_read_kernel", "bpf_probe_read_user"},
	"bpf_probe_read_str": {"bpf_probe_read_kernel_str", "bpf_probe_read_user_str"},
}

// newerLibbpf are macros of libbpf's bpf_helpers.h newer than the
// headers the kb may have read (bpf_ksym_exists is libbpf 1.2's): not
// helpers, never unknown.
var newerLibbpf = map[string]bool{"bpf_ksym_exists": true, "bpf_for": true, "bpf_for_each": true, "bpf_repeat": true,
	"bpf_core_cast": true, "bpf_cmp_likely": true, "bpf_cmp_unlikely": true, "bpf_core_type_matches": true}

var coreReadMacros = map[string]bool{"BPF_CORE_READ": true, "BPF_CORE_READ_USER": true, "BPF_PROBE_READ": true, "BPF_PROBE_READ_USER": true}
var coreReadIntoMacros = map[string]bool{"BPF_CORE_READ_INTO": true, "BPF_CORE_READ_STR_INTO": true, "BPF_CORE_READ_USER_INTO": true,
	"BPF_CORE_READ_USER_STR_INTO": true, "BPF_PROBE_READ_INTO": true, "BPF_PROBE_READ_STR_INTO": true}

// walkFunctions checks every function body: those the cache does not
// know are checked by up to threads() workers at once (each a copy of the
// checker with its own findings and node buffer; the rest of the checker
// is only read during the walk), and the findings are added in function
// order, so the result does not depend on the workers.
func (c *checker) walkFunctions(tops []sitter.Node) {
	type job struct {
		n      *sitter.Node
		prog   *Program
		key    string
		out    []analysis.Finding
		cached bool
	}
	progs := make(map[int]*Program, len(c.sum.Programs))
	for j := range c.sum.Programs {
		progs[c.sum.Programs[j].Span.Start] = &c.sum.Programs[j]
	}
	var jobs []job
	var todo []int
	for i := range tops {
		n := &tops[i]
		if n.KindId() != kindFunctionDefinition {
			continue
		}
		start := int(n.StartByte())
		jb := job{n: n, prog: progs[start]}
		// An unchanged function in an unchanged context has the
		// findings it had.
		jb.key = c.funcKey(text(c.src, n), jb.prog, start)
		if fs, ok := c.cache.function(jb.key); ok {
			jb.cached = true
			for _, f := range fs {
				jb.out = append(jb.out, f.Shifted(start))
			}
		} else {
			todo = append(todo, len(jobs))
		}
		jobs = append(jobs, jb)
	}
	workers := min(threads(), (len(todo)+3)/4)
	var next atomic.Int64
	each(workers, func(int) {
		w := *c
		w.out, w.nodes = nil, collector{}
		defer w.nodes.free()
		for {
			i := int(next.Add(1)) - 1
			if i >= len(todo) || !w.alive() {
				return
			}
			jb := &jobs[todo[i]]
			w.checkFunction(jb.n, jb.prog)
			jb.out, w.out = w.out, nil
		}
	})
	for _, jb := range jobs {
		c.out = append(c.out, jb.out...)
		if !jb.cached {
			c.cache.putFunction(jb.key, jb.out, int(jb.n.StartByte()))
		}
	}
}

// checkFunction checks one function definition's body.
func (c *checker) checkFunction(n *sitter.Node, prog *Program) {
	// Types a fix adds go on the line before the function (before its
	// SEC(), which must stay on the function).
	at := int(n.StartByte())
	if prog != nil && prog.Section.Span.Start < at {
		at = prog.Section.Span.Start
	}
	c.typesAt = strings.LastIndexByte(c.src[:at], '\n') + 1
	vars := map[string]varType{}
	c.types = map[uintptr]typeAnswer{}
	c.funcReported, c.fnProg = map[int]bool{}, prog
	if _, params := funcName(n); params != nil {
		for k := uint(0); k < params.NamedChildCount(); k++ {
			c.declare(params.NamedChild(k), vars)
		}
	}
	body := n.ChildByFieldId(fieldBody)
	if body == nil {
		return
	}
	all := c.flowNodes(body)
	c.locals = c.collectLocals(body, all)
	stack := c.walkBody(body, prog, vars)
	c.flow(n, prog, vars, all)
	if stack > 512 {
		name, _ := funcName(n)
		sp := span(n)
		if name != nil {
			sp = span(name)
		}
		if prog != nil {
			sp = prog.NameSpan
		}
		f := analysis.New(analysis.KG505, sp, fmt.Sprintf("local variables use %d bytes of stack; BPF programs have 512", stack)).
			WithNote("move large buffers into a per-CPU array map and look them up instead")
		if fx, ok := c.scratchFix(n, prog, stack); ok {
			f.Fixes = append(f.Fixes, fx)
		}
		c.add(f)
	}
}

// declare records the type of a parameter or local declaration.
func (c *checker) declare(n *sitter.Node, vars map[string]varType) int {
	typeNode := n.ChildByFieldId(fieldType)
	if typeNode == nil {
		return 0
	}
	ref, flavor := "", ""
	var decl analysis.Span
	switch typeNode.Kind() {
	case "struct_specifier", "union_specifier":
		if name := typeNode.ChildByFieldId(fieldName); name != nil {
			ref, flavor = c.structRef(text(c.src, name))
			decl = span(name)
		}
	case "type_identifier":
		ref = text(c.src, typeNode)
		if c.k != nil {
			if t, ok := c.k.Type("typedef", ref); ok && t.Ref != "" {
				ref = t.Ref
			} else {
				ref = ""
			}
		} else {
			ref = ""
		}
	}
	size := 0
	for i := uint(0); i < n.NamedChildCount(); i++ {
		d := n.NamedChild(i)
		if d.Equals(*typeNode) {
			continue
		}
		ptr := false
		arr := 1
		isArr := false
		for d != nil {
			switch d.Kind() {
			case "init_declarator", "attributed_declarator", "parenthesized_declarator":
				d = d.ChildByFieldId(fieldDeclarator)
				continue
			case "pointer_declarator":
				ptr = true
				d = d.ChildByFieldId(fieldDeclarator)
				continue
			case "array_declarator":
				isArr = true
				if sz := d.ChildByFieldId(fieldSize); sz != nil {
					if v, ok := c.constValue(sz); ok {
						arr *= v
					}
				}
				d = d.ChildByFieldId(fieldDeclarator)
				continue
			case "identifier":
				if ref != "" && (flavor != "" || !c.structs[ref]) {
					vt := varType{ref: ref, pointer: ptr, flavor: flavor, decl: decl}
					vars[text(c.src, d)] = vt
					if !ptr && decl != (analysis.Span{}) && n.Kind() == "declaration" {
						c.useOfMissingType(vt, d, "a variable of it", c.fnProg)
					}
					if len(c.types) > 0 {
						c.types = map[uintptr]typeAnswer{} // answers may read the name
					}
				}
				if !ptr && (isArr || ref != "") {
					size += arr * c.sizeOfType(typeNode)
				}
			}
			break
		}
	}
	return size
}

var primSizes = map[string]int{"char": 1, "u8": 1, "__u8": 1, "s8": 1, "__s8": 1, "bool": 1, "_Bool": 1,
	"short": 2, "u16": 2, "__u16": 2, "s16": 2, "__s16": 2, "__be16": 2,
	"int": 4, "u32": 4, "__u32": 4, "s32": 4, "__s32": 4, "unsigned": 4, "float": 4, "__be32": 4, "pid_t": 4,
	"long": 8, "u64": 8, "__u64": 8, "s64": 8, "__s64": 8, "double": 8, "size_t": 8, "__be64": 8}

func (c *checker) sizeOfType(t *sitter.Node) int {
	name := strings.TrimSpace(text(c.src, t))
	name = strings.TrimPrefix(strings.TrimPrefix(name, "unsigned "), "signed ")
	if s, ok := primSizes[name]; ok {
		return s
	}
	if strings.Contains(name, "long") {
		return 8
	}
	if kind, rest, ok := strings.Cut(name, " "); ok && kind == "struct" {
		if sz, ok := c.structSizes[rest]; ok {
			return sz
		}
	}
	if c.k != nil {
		kind, rest, ok := strings.Cut(name, " ")
		if ok && (kind == "struct" || kind == "union") {
			if ty, ok := c.k.Type(kind, rest); ok {
				return ty.Size
			}
		}
		if ty, ok := c.k.Type("typedef", name); ok && ty.Size > 0 {
			return ty.Size
		}
	}
	return 0
}

// The nodes of a body the checks look at, by tag. collect lists them in
// document order with outer nodes first (a declaration before the call in
// its initializer) in one C call: walking the body node by node from Go
// cost a cgo call per node and child, and a query cursor allocated per
// match.
const (
	tagDecl = 1 + iota
	tagCall
	tagField
)

var bodyTags = newTagSet("declaration", "call_expression", "field_expression")

// walkBody checks the declarations, calls and field accesses of a body
// and returns the stack its local variables take.
func (c *checker) walkBody(body *sitter.Node, prog *Program, vars map[string]varType) int {
	stack := 0
	nodes, tags := c.nodes.collect(body, bodyTags)
	for i := range nodes {
		if i&255 == 255 && !c.alive() {
			break
		}
		n := nodes[i]
		switch tags[i] {
		case tagDecl:
			stack += c.declare(&n, vars)
		case tagCall:
			c.call(&n, prog, vars)
		case tagField:
			c.fieldExpr(&n, vars)
		}
	}
	return stack
}

func (c *checker) call(n *sitter.Node, prog *Program, vars map[string]varType) {
	fn := n.ChildByFieldId(fieldFunction)
	if fn == nil || fn.Kind() != "identifier" {
		return
	}
	name := text(c.src, fn)
	args := n.ChildByFieldId(fieldArguments)
	switch {
	case coreReadMacros[name]:
		c.coreRead(args, 0, vars)
		return
	case coreReadIntoMacros[name]:
		c.coreRead(args, 1, vars)
		return
	}
	if !strings.HasPrefix(name, "bpf_") {
		c.libc(n, fn)
	}
	if c.k == nil || !strings.HasPrefix(name, "bpf_") || c.local[name] || c.ksyms[name] || newerLibbpf[name] {
		return
	}
	h, isHelper := c.k.Helper(name)
	if !isHelper {
		if c.k.HeaderNames()[name] || c.definedInIncludes(name) {
			return
		}
		why := c.providedFor(n, name, "BPF_FUNC_"+strings.TrimPrefix(name, "bpf_"), anyKfunc)
		if _, ok := c.k.Kfunc(name); ok {
			f := analysis.New(analysis.KG205, span(fn), fmt.Sprintf("%s is a kfunc: declare it with extern ... __ksym before calling it", name))
			if c.vmlinux {
				f.Severity = analysis.Warning
				f = f.WithNote("vmlinux.h declares the kernel's kfuncs only when a recent bpftool generated it; an extern ... __ksym __weak declaration works with any")
			}
			c.add(f)
			return
		}
		if why != "" {
			c.add(analysis.New(analysis.KG201, span(fn), fmt.Sprintf("%s is not a helper or kfunc of the target kernel; the program provides for it: %s", name, why)).
				WithSeverity(analysis.Warning))
			return
		}
		f := analysis.New(analysis.KG201, span(fn), fmt.Sprintf("unknown helper %s", name))
		// A helper whose prototype takes the call's arguments first.
		got := len(callArgs(n))
		fits := func(cand string) bool {
			h, ok := c.k.Helper(cand)
			return ok && h.Func != nil && (len(h.Func.Params) == got || h.Func.Variadic && got >= len(h.Func.Params))
		}
		if near := c.k.NearestFitting(kb.FamilyHelper, name, 1, fits); len(near) > 0 {
			f.Message += "; did you mean " + near[0]
			f = f.WithFix("Replace with "+near[0], span(fn), near[0])
		}
		c.add(f)
		return
	}
	if c.helperArity(n, fn, h) || c.byValue(n, fn) {
		return
	}
	c.probeReadSide(n, fn, prog, vars)
	if alt, ok := deprecated[name]; ok {
		c.add(analysis.New(analysis.KG204, span(fn), fmt.Sprintf("%s is deprecated: use %s for kernel memory or %s for user memory", name, alt[0], alt[1])).
			WithFix("Replace with "+alt[0], span(fn), alt[0]).
			WithFix("Replace with "+alt[1], span(fn), alt[1]))
	}
	if prog != nil && prog.Known && prog.Def.ProgType != "" && h.Allowed != nil {
		if h.Allowed[prog.Def.ProgType] == kb.No {
			c.add(analysis.New(analysis.KG202, span(fn), fmt.Sprintf("%s is not available in %s programs (SEC(%q)) on the target kernel", name, prog.Def.ProgType, prog.Section.Name)))
			return
		}
	}
	if h.GPLOnly == kb.Yes && c.sum.HasLicense && !c.gpl() {
		f := analysis.New(analysis.KG203, span(fn), fmt.Sprintf("%s is GPL-only but the license is %q", name, c.sum.License)).
			WithNote("the kernel refuses GPL-only helpers in programs whose license is not GPL-compatible")
		if fx, ok := c.licenseFix(); ok {
			f.Fixes = append(f.Fixes, fx)
		}
		c.add(f)
	}
}

// coreRead checks BPF_CORE_READ(src, a, b, ...) field chains; skip is the
// number of leading arguments before the source (the destination of the
// _INTO forms).
func (c *checker) coreRead(args *sitter.Node, skip int, vars map[string]varType) {
	if args == nil || c.k == nil {
		return
	}
	var list []*sitter.Node
	for i := uint(0); i < args.NamedChildCount(); i++ {
		list = append(list, args.NamedChild(i))
	}
	if len(list) < skip+2 {
		return
	}
	src := list[skip]
	vt, ok := c.exprType(src, vars)
	if !ok {
		return
	}
	cur, flavor := vt.ref, vt.flavor
	for _, f := range list[skip+1:] {
		fieldName := strings.TrimSpace(text(c.src, f))
		// a.b inside one argument walks through embedded structs.
		for _, part := range strings.Split(fieldName, ".") {
			part = strings.TrimSpace(part)
			if i := strings.IndexByte(part, '['); i >= 0 {
				part = part[:i]
			}
			t, ok := c.k.Resolve(cur)
			if !ok && cur == vt.ref {
				c.useOfMissingType(vt, f, "reading its field "+part, c.fnProg)
			}
			if !ok || part == "" {
				return
			}
			m, ok := c.k.Member(t, part)
			if !ok {
				c.unknownField(t, part, f, flavor)
				return
			}
			cur, flavor = m.Ref, ""
			if cur == "" {
				return
			}
		}
	}
}

// unknownField reports a field the kernel's struct lacks, used at n:
// an error, or a warning where the program provides for it (a guard
// around n, or the access is through a ___flavor of the struct).
func (c *checker) unknownField(t *kb.Type, name string, n *sitter.Node, flavor string) {
	sp := span(n)
	if i := strings.Index(c.src[sp.Start:sp.End], name); i >= 0 {
		sp = analysis.Span{Start: sp.Start + i, End: sp.Start + i + len(name)}
	}
	f := analysis.New(analysis.KG401, sp, fmt.Sprintf("%s %s has no field %s", t.Kind, t.Name, name))
	why := c.providedFor(n, name, t.Name, flavor)
	switch {
	case why != "":
		f.Severity = analysis.Warning
		f.Message += " on the target kernel; the program provides for it: " + why
	case flavor != "":
		f.Severity = analysis.Warning
		f.Message += fmt.Sprintf(" on the target kernel; %s is a flavor of it for kernels that have the field: test bpf_core_field_exists before the access", flavor)
	}
	if why == "" && flavor == "" {
		if fx, ok := c.renamedFieldFix(t, name, n); ok {
			f.Message += fmt.Sprintf("; it is %s on this kernel", fx.other)
			if len(fx.fix.Edits) > 0 {
				f.Fixes = append(f.Fixes, fx.fix)
			}
			f = f.WithFix("Replace with "+fx.other+" (this kernel only)", sp, fx.other)
		} else if fx, ok := c.fieldElsewhere(t, name, n); ok {
			f.Message += "; " + fx.Title
			f.Fixes = append(f.Fixes, fx)
		} else if near := kb.NearestFitting(c.k.MemberNames(t), name, 1, c.memberFits(t, n)); len(near) > 0 {
			f.Message += "; did you mean " + near[0]
			f = f.WithFix("Replace with "+near[0], sp, near[0])
		}
	}
	c.add(f)
}

// typeAnswer is what exprType found for a node.
type typeAnswer struct {
	vt varType
	ok bool
}

// exprType finds the struct an expression refers to: a declared variable,
// or a field chain from one. It goes down the chain (through parentheses)
// in a loop to a base it knows the type of, then back up, and keeps the
// answer of every link: the walk visits the outermost link first, and each
// link below asks again.
func (c *checker) exprType(n *sitter.Node, vars map[string]varType) (varType, bool) {
	var chain []sitter.Node // from n down, without the base
	cur := *n
	var a typeAnswer
	for {
		if known, ok := c.types[cur.Id()]; ok {
			a = known
			break
		}
		k := cur.KindId()
		if k == kindParenthesized && cur.NamedChildCount() == 1 {
			chain = append(chain, cur)
			cur = *cur.NamedChild(0)
			continue
		}
		if k == kindFieldExpression {
			if arg := cur.ChildByFieldId(fieldArgument); arg != nil {
				chain = append(chain, cur)
				cur = *arg
				continue
			}
		}
		a = c.baseType(&cur, vars)
		c.remember(&cur, a)
		break
	}
	for i := len(chain) - 1; i >= 0; i-- {
		link := &chain[i]
		if a.ok && link.KindId() == kindFieldExpression {
			a = c.memberType(link, a.vt)
		}
		c.remember(link, a)
	}
	return a.vt, a.ok
}

func (c *checker) remember(n *sitter.Node, a typeAnswer) {
	if c.types != nil {
		c.types[n.Id()] = a
	}
}

// baseType is the type of an expression that is not a link of a chain.
func (c *checker) baseType(n *sitter.Node, vars map[string]varType) typeAnswer {
	switch n.KindId() {
	case kindIdentifier:
		vt, ok := vars[text(c.src, n)]
		return typeAnswer{vt, ok}
	case kindCast:
		t := n.ChildByFieldId(fieldType)
		if t == nil {
			return typeAnswer{}
		}
		s := findKind(t, "struct_specifier")
		if s == nil {
			return typeAnswer{}
		}
		if name := s.ChildByFieldId(fieldName); name != nil {
			ref, flavor := c.structRef(text(c.src, name))
			if flavor != "" || !c.structs[ref] {
				return typeAnswer{varType{ref: ref, pointer: strings.Contains(text(c.src, t), "*"), flavor: flavor}, true}
			}
		}
	}
	return typeAnswer{}
}

// memberType is the type of the field a field_expression reaches in base.
func (c *checker) memberType(n *sitter.Node, base varType) typeAnswer {
	t, ok := c.k.Resolve(base.ref)
	if !ok {
		return typeAnswer{}
	}
	field := n.ChildByFieldId(fieldField)
	if field == nil {
		return typeAnswer{}
	}
	m, ok := c.k.Member(t, text(c.src, field))
	if !ok || m.Ref == "" {
		return typeAnswer{}
	}
	return typeAnswer{varType{ref: m.Ref, pointer: m.Pointer}, true}
}

// fieldExpr checks x->f and x.f on variables of known BTF struct types.
func (c *checker) fieldExpr(n *sitter.Node, vars map[string]varType) {
	if c.k == nil {
		return
	}
	arg := n.ChildByFieldId(fieldArgument)
	field := n.ChildByFieldId(fieldField)
	if arg == nil || field == nil {
		return
	}
	vt, ok := c.exprType(arg, vars)
	if !ok {
		return
	}
	t, ok := c.k.Resolve(vt.ref)
	if !ok {
		c.useOfMissingType(vt, n, "reading its field "+text(c.src, field), c.fnProg)
		return
	}
	if t.Kind != "struct" && t.Kind != "union" {
		return
	}
	name := text(c.src, field)
	if _, ok := c.k.Member(t, name); !ok {
		if c.inExistsTest(n) {
			return // the test itself: bpf_core_field_exists(t->__state)
		}
		c.unknownField(t, name, field, vt.flavor)
		return
	}
	op := n.ChildByFieldId(fieldOperator)
	if op != nil && text(c.src, op) == "." && vt.pointer && arg.Kind() == "identifier" {
		sp := span(op)
		c.add(analysis.New(analysis.KG405, sp, fmt.Sprintf("%s is a pointer to %s %s: use -> to reach %s", text(c.src, arg), t.Kind, t.Name, name)).
			WithFix("Replace . with ->", sp, "->"))
	}
}
