package bpfc

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/kgent/kgent/analysis"
)

// Checks of what the verifier proves about a function's paths, made on
// the syntax where the answer does not depend on values: a pointer that
// may be NULL used before any test of it, a ring buffer reservation a
// return leaks, a kernel pointer dereferenced where only probe reads may
// read kernel memory, a packet or stack access at an offset nothing
// bounds, a loop whose bound is a run-time value, a write to a read-only
// context, a constant return value the program type does not allow.

var (
	fieldValue       = cLang.FieldIdForName("value")
	fieldLeft        = cLang.FieldIdForName("left")
	fieldRight       = cLang.FieldIdForName("right")
	fieldIndex       = cLang.FieldIdForName("index")
	fieldInitializer = cLang.FieldIdForName("initializer")
	fieldUpdate      = cLang.FieldIdForName("update")
)

// localVar is what a function's declaration says of a local variable.
type localVar struct {
	typ     string // the declaration's type, as written
	pointer bool
	array   bool
	dims    []int    // array dimensions, when constant
	dimText []string // array dimensions as written
	init    *sitter.Node
	decl    *sitter.Node // the declaration statement
}

// maxFlowNodes bounds the functions the path checks read: no real
// program's function comes near it, and the checks are not linear in it.
const maxFlowNodes = 1 << 15

// nodes lists the nodes below n (n included) in document order, or nil
// when there are more than maxFlowNodes.
func nodes(n *sitter.Node) []*sitter.Node {
	var out []*sitter.Node
	preorder(n, func(x *sitter.Node) bool {
		cp := *x
		out = append(out, &cp)
		return true
	}, func() bool { return len(out) <= maxFlowNodes })
	if len(out) > maxFlowNodes {
		return nil
	}
	return out
}

// flowTags are the kinds of nodes the path checks read.
var flowTags = newTagSet("declaration", "init_declarator", "call_expression", "identifier", "field_expression",
	"subscript_expression", "binary_expression", "assignment_expression", "update_expression", "return_statement",
	"while_statement", "for_statement", "pointer_expression")

// flowNodes lists the nodes of a body the path checks read, in document
// order (one C call; copied out of the walk's buffer), or nil when there
// are more than maxFlowNodes.
func (c *checker) flowNodes(body *sitter.Node) []*sitter.Node {
	ns, _ := c.nodes.collect(body, flowTags)
	if len(ns) > maxFlowNodes {
		return nil
	}
	buf := make([]sitter.Node, len(ns))
	copy(buf, ns)
	out := make([]*sitter.Node, len(buf))
	for i := range buf {
		out[i] = &buf[i]
	}
	return out
}

// collectLocals reads the declarations of a function body.
func (c *checker) collectLocals(body *sitter.Node, all []*sitter.Node) map[string]localVar {
	out := map[string]localVar{}
	for _, n := range all {
		if n.Kind() != "declaration" {
			continue
		}
		tn := n.ChildByFieldId(fieldType)
		if tn == nil {
			continue
		}
		for i := uint(0); i < n.NamedChildCount(); i++ {
			d := n.NamedChild(i)
			if d.Equals(*tn) {
				continue
			}
			lv := localVar{typ: strings.TrimSpace(text(c.src, tn)), decl: n}
			for d != nil {
				switch d.Kind() {
				case "init_declarator":
					lv.init = d.ChildByFieldId(fieldValue)
					d = d.ChildByFieldId(fieldDeclarator)
					continue
				case "attributed_declarator", "parenthesized_declarator":
					d = d.ChildByFieldId(fieldDeclarator)
					continue
				case "pointer_declarator":
					lv.pointer = true
					d = d.ChildByFieldId(fieldDeclarator)
					continue
				case "array_declarator":
					lv.array = true
					if sz := d.ChildByFieldId(fieldSize); sz != nil {
						if v, ok := c.constValue(sz); ok {
							lv.dims = append([]int{v}, lv.dims...)
						}
						lv.dimText = append([]string{text(c.src, sz)}, lv.dimText...)
					}
					d = d.ChildByFieldId(fieldDeclarator)
					continue
				case "identifier":
					out[text(c.src, d)] = lv
				}
				break
			}
		}
	}
	return out
}

var defineRe = regexp.MustCompile(`(?m)^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+\(?\s*(-?(?:0[xX][0-9a-fA-F]+|\d+))[uUlL]*\s*\)?[ \t]*(?://.*|/\*.*)?$`)

// readDefines reads the file's #define NAME NUMBER macros.
func (c *checker) readDefines() {
	c.defines = map[string]int{}
	for _, m := range defineRe.FindAllStringSubmatch(c.src, -1) {
		if v, err := strconv.ParseInt(m[2], 0, 64); err == nil {
			c.defines[m[1]] = int(v)
		}
	}
}

// constValue evaluates a constant integer expression: literals, the
// file's numeric macros, and + - * / << of them.
func (c *checker) constValue(n *sitter.Node) (int, bool) {
	switch n.Kind() {
	case "number_literal":
		t := strings.TrimRight(text(c.src, n), "uUlL")
		v, err := strconv.ParseInt(t, 0, 64)
		return int(v), err == nil
	case "identifier":
		v, ok := c.defines[text(c.src, n)]
		return v, ok
	case "parenthesized_expression":
		if n.NamedChildCount() == 1 {
			return c.constValue(n.NamedChild(0))
		}
	case "unary_expression":
		arg := n.ChildByFieldId(fieldArgument)
		op := n.ChildByFieldId(fieldOperator)
		if arg != nil && op != nil && text(c.src, op) == "-" {
			v, ok := c.constValue(arg)
			return -v, ok
		}
	case "binary_expression":
		l, r := n.ChildByFieldId(fieldLeft), n.ChildByFieldId(fieldRight)
		op := n.ChildByFieldId(fieldOperator)
		if l == nil || r == nil || op == nil {
			return 0, false
		}
		a, ok1 := c.constValue(l)
		b, ok2 := c.constValue(r)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch text(c.src, op) {
		case "+":
			return a + b, true
		case "-":
			return a - b, true
		case "*":
			return a * b, true
		case "/":
			if b != 0 {
				return a / b, true
			}
		case "<<":
			if b >= 0 && b < 32 {
				return a << b, true
			}
		}
	}
	return 0, false
}

// isConst: a compile-time constant (a value constValue knows, an
// all-caps macro, an enum the kernel has, sizeof).
func (c *checker) isConst(n *sitter.Node) bool {
	if _, ok := c.constValue(n); ok {
		return true
	}
	switch n.Kind() {
	case "sizeof_expression":
		return true
	case "identifier":
		t := text(c.src, n)
		return t == strings.ToUpper(t)
	case "parenthesized_expression", "cast_expression":
		if v := n.ChildByFieldId(fieldValue); v != nil {
			return c.isConst(v)
		}
		if n.NamedChildCount() == 1 {
			return c.isConst(n.NamedChild(0))
		}
	case "binary_expression":
		l, r := n.ChildByFieldId(fieldLeft), n.ChildByFieldId(fieldRight)
		return l != nil && r != nil && c.isConst(l) && c.isConst(r)
	}
	return false
}

// ancestor walks up from n (bounded), calling stop on each parent until
// it returns true; it returns that parent, or nil.
func ancestor(n *sitter.Node, stop func(p *sitter.Node) bool) *sitter.Node {
	p := n.Parent()
	for i := 0; p != nil && i < 64; i++ {
		if stop(p) {
			return p
		}
		if p.KindId() == kindFunctionDefinition {
			return nil
		}
		p = p.Parent()
	}
	return nil
}

// statementOf is the statement n is in.
func statementOf(n *sitter.Node) *sitter.Node {
	if strings.HasSuffix(n.Kind(), "statement") || n.Kind() == "declaration" {
		return n
	}
	return ancestor(n, func(p *sitter.Node) bool {
		return strings.HasSuffix(p.Kind(), "statement") || p.Kind() == "declaration"
	})
}

// inCondition reports whether n is inside the condition of an if, a
// loop or a ?: (a test of it).
func inCondition(n *sitter.Node) bool {
	child := n
	for p := n.Parent(); p != nil; child, p = p, p.Parent() {
		switch p.Kind() {
		case "if_statement", "while_statement", "do_statement", "for_statement", "conditional_expression":
			if cond := p.ChildByFieldId(fieldCondition); cond != nil && cond.Equals(*child) {
				return true
			}
		case "binary_expression":
			if op := p.ChildByFieldId(fieldOperator); op != nil && (op.Kind() == "&&" || op.Kind() == "||") {
				if l := p.ChildByFieldId(fieldLeft); l != nil && l.Equals(*child) {
					return true
				}
			}
		case "compound_statement", "function_definition":
			return false
		}
	}
	return false
}

// indentOf is the leading white space of the line at off.
func (c *checker) indentOf(off int) string {
	start := strings.LastIndexByte(c.src[:off], '\n') + 1
	end := start
	for end < len(c.src) && (c.src[end] == ' ' || c.src[end] == '\t') {
		end++
	}
	return c.src[start:end]
}

// returnValue is what an early return of the function returns.
func (c *checker) returnValue(fn *sitter.Node, prog *Program) string {
	if t := fn.ChildByFieldId(fieldType); t != nil && text(c.src, t) == "void" {
		return ""
	}
	if prog != nil {
		switch prog.Def.ProgType {
		case "xdp":
			return " XDP_PASS"
		case "cgroup_skb", "cgroup_sock", "cgroup_sock_addr", "cgroup_device", "cgroup_sysctl", "cgroup_sockopt":
			return " 1"
		}
	}
	return " 0"
}

// flow runs the path checks on a function, whose body's nodes are all
// (flowNodes).
func (c *checker) flow(fn *sitter.Node, prog *Program, vars map[string]varType, all []*sitter.Node) {
	if len(all) == 0 {
		return
	}
	c.nullable(fn, prog, all)
	c.ringbufLeaks(fn, prog, all)
	if prog != nil {
		c.kernelDerefs(prog, all, vars)
		c.packetBounds(fn, prog, all)
		c.ctxWrites(prog, all)
		c.returns(prog, all)
	}
	c.stackIndex(fn, prog, all)
	c.loops(all)
}

// nullableHelpers return a pointer that may be NULL.
var nullableHelpers = map[string]bool{"bpf_map_lookup_elem": true, "bpf_ringbuf_reserve": true, "bpf_map_lookup_percpu_elem": true,
	"bpf_sk_lookup_tcp": true, "bpf_sk_lookup_udp": true, "bpf_skc_lookup_tcp": true, "bpf_task_storage_get": true,
	"bpf_inode_storage_get": true, "bpf_sk_storage_get": true, "bpf_cgrp_storage_get": true}

// assigned is a variable given a helper's result.
type assigned struct {
	name   string
	helper string
	call   *sitter.Node
	stmt   *sitter.Node
}

// helperResults lists the variables assigned the result of one of the
// helpers, in document order.
func (c *checker) helperResults(all []*sitter.Node, helpers map[string]bool) []assigned {
	var out []assigned
	for _, n := range all {
		if n.Kind() != "call_expression" {
			continue
		}
		f := n.ChildByFieldId(fieldFunction)
		if f == nil || !helpers[text(c.src, f)] {
			continue
		}
		// Up through casts and parentheses to what takes the value.
		up := n.Parent()
		for up != nil && (up.Kind() == "cast_expression" || up.Kind() == "parenthesized_expression") {
			up = up.Parent()
		}
		if up == nil {
			continue
		}
		var name string
		switch up.Kind() {
		case "init_declarator":
			if d := declaredIdent(up.ChildByFieldId(fieldDeclarator)); d != nil {
				name = text(c.src, d)
			}
		case "assignment_expression":
			if l := up.ChildByFieldId(fieldLeft); l != nil && l.KindId() == kindIdentifier {
				name = text(c.src, l)
			}
		}
		if name == "" {
			continue
		}
		if st := statementOf(up); st != nil {
			out = append(out, assigned{name: name, helper: text(c.src, f), call: n, stmt: st})
		}
	}
	return out
}

// declaredIdent is the identifier under a declarator.
func declaredIdent(d *sitter.Node) *sitter.Node {
	for d != nil {
		switch d.Kind() {
		case "identifier":
			return d
		case "pointer_declarator", "array_declarator", "parenthesized_declarator", "attributed_declarator", "init_declarator":
			d = d.ChildByFieldId(fieldDeclarator)
		default:
			return nil
		}
	}
	return nil
}

// uses lists the identifiers named name after off, in document order.
func (c *checker) uses(all []*sitter.Node, name string, off int) []*sitter.Node {
	var out []*sitter.Node
	for _, n := range all {
		if int(n.StartByte()) >= off && n.KindId() == kindIdentifier && text(c.src, n) == name {
			out = append(out, n)
		}
	}
	return out
}

// derefOf reports whether the identifier use u reads or writes through
// the pointer (or passes it where a valid pointer is needed).
func (c *checker) derefOf(u *sitter.Node) bool {
	p := u.Parent()
	if p == nil || c.inSizeof(u) {
		return false
	}
	switch p.Kind() {
	case "field_expression":
		arg := p.ChildByFieldId(fieldArgument)
		op := p.ChildByFieldId(fieldOperator)
		return arg != nil && arg.Equals(*u) && op != nil && text(c.src, op) == "->"
	case "pointer_expression":
		op := p.ChildByFieldId(fieldOperator)
		return op != nil && text(c.src, op) == "*"
	case "subscript_expression":
		arg := p.ChildByFieldId(fieldArgument)
		return arg != nil && arg.Equals(*u)
	case "argument_list":
		call := p.Parent()
		if call == nil || call.Kind() != "call_expression" {
			return false
		}
		f := call.ChildByFieldId(fieldFunction)
		if f == nil {
			return false
		}
		name := text(c.src, f)
		return strings.HasPrefix(name, "__sync_") || strings.HasPrefix(name, "__atomic_") ||
			name == "bpf_ringbuf_submit" || name == "bpf_ringbuf_discard" || strings.HasPrefix(name, "bpf_probe_read") || name == "bpf_get_current_comm"
	}
	return false
}

// assignsTo reports whether the identifier use u is the left side of an
// assignment (the variable gets a new value).
func assignsTo(u *sitter.Node) bool {
	p := u.Parent()
	if p == nil || p.Kind() != "assignment_expression" {
		return false
	}
	l := p.ChildByFieldId(fieldLeft)
	return l != nil && l.Equals(*u)
}

// nullable reports the first use through a pointer a helper may return
// NULL, when no test of it comes first (KG520).
func (c *checker) nullable(fn *sitter.Node, prog *Program, all []*sitter.Node) {
	for _, a := range c.helperResults(all, nullableHelpers) {
		for _, u := range c.uses(all, a.name, int(a.stmt.EndByte())) {
			if assignsTo(u) || inCondition(u) {
				break
			}
			if !c.derefOf(u) {
				break // passed on or copied: not followed
			}
			what := "the map value"
			if a.helper == "bpf_ringbuf_reserve" {
				what = "the reservation"
			} else if !strings.Contains(a.helper, "lookup_elem") {
				what = "the result"
			}
			f := analysis.New(analysis.KG520, span(u), fmt.Sprintf("%s may be NULL: %s from %s() is used without a NULL check, and the verifier refuses the program", a.name, what, a.helper))
			f.Related = append(f.Related, analysis.Related{Span: span(a.call), Message: a.helper + "() returns NULL when it finds nothing"})
			ind := c.indentOf(int(a.stmt.StartByte()))
			f = f.WithFix("Return early when "+a.name+" is NULL", analysis.Span{Start: int(a.stmt.EndByte()), End: int(a.stmt.EndByte())},
				fmt.Sprintf("\n%sif (!%s)\n%s\treturn%s;", ind, a.name, ind, c.returnValue(fn, prog)))
			c.add(f)
			break
		}
	}
}

var ringbufRelease = map[string]bool{"bpf_ringbuf_submit": true, "bpf_ringbuf_discard": true}

// ringbufLeaks reports a return that leaves a ring buffer reservation
// neither submitted nor discarded (KG521): the verifier refuses the
// program ("reference leak").
func (c *checker) ringbufLeaks(fn *sitter.Node, prog *Program, all []*sitter.Node) {
	for _, a := range c.helperResults(all, map[string]bool{"bpf_ringbuf_reserve": true}) {
		after := int(a.stmt.EndByte())
		var releases, returns []*sitter.Node
		for _, n := range all {
			if int(n.StartByte()) < after {
				continue
			}
			switch n.Kind() {
			case "call_expression":
				if f := n.ChildByFieldId(fieldFunction); f != nil && ringbufRelease[text(c.src, f)] {
					if args := callArgs(n); len(args) > 0 && c.names(args[0], a.name) {
						releases = append(releases, n)
					}
				}
			case "return_statement":
				returns = append(returns, n)
			}
		}
		if len(releases) == 0 {
			f := analysis.New(analysis.KG521, span(a.call), fmt.Sprintf("the reservation %s is never submitted or discarded: the verifier refuses the program (reference leak); call bpf_ringbuf_submit(%s, 0) once it is filled", a.name, a.name))
			if last := lastReturn(fn); last != nil {
				ind := c.indentOf(int(last.StartByte()))
				f = f.WithFix("Submit "+a.name+" before returning", analysis.Span{Start: int(last.StartByte()), End: int(last.StartByte())},
					fmt.Sprintf("bpf_ringbuf_submit(%s, 0);\n%s", a.name, ind))
			}
			c.add(f)
			continue
		}
		for _, r := range returns {
			if c.names(r, a.name) || c.nullReturn(r, a.name) || c.releasedBefore(r, releases, a.name) {
				continue
			}
			f := analysis.New(analysis.KG521, span(r), fmt.Sprintf("this return leaks the ring buffer reservation %s: submit or discard it first (the verifier refuses a path that does not)", a.name))
			f.Related = append(f.Related, analysis.Related{Span: span(a.call), Message: "the reservation"})
			if p := r.Parent(); p != nil && p.Kind() == "compound_statement" {
				f = f.WithFix("Discard "+a.name+" before returning", analysis.Span{Start: int(r.StartByte()), End: int(r.StartByte())},
					fmt.Sprintf("bpf_ringbuf_discard(%s, 0);\n%s", a.name, c.indentOf(int(r.StartByte()))))
			} else {
				f = f.WithFix("Discard "+a.name+" before returning", span(r), fmt.Sprintf("{\n%s\tbpf_ringbuf_discard(%s, 0);\n%s\t%s\n%s}", c.indentOf(int(r.StartByte()))[1:], a.name, c.indentOf(int(r.StartByte()))[1:], text(c.src, r), c.indentOf(int(r.StartByte()))[1:]))
			}
			c.add(f)
		}
	}
}

// names reports whether the identifier name occurs in n.
func (c *checker) names(n *sitter.Node, name string) bool {
	found := false
	preorder(n, func(x *sitter.Node) bool {
		if x.KindId() == kindIdentifier && text(c.src, x) == name {
			found = true
		}
		return !found
	}, func() bool { return !found })
	return found
}

// nullReturn reports a return in the branch where name is NULL.
func (c *checker) nullReturn(r *sitter.Node, name string) bool {
	re := regexp.MustCompile(`^\(\s*(!\s*` + regexp.QuoteMeta(name) + `|` + regexp.QuoteMeta(name) + `\s*==\s*(NULL|0)|(NULL|0)\s*==\s*` + regexp.QuoteMeta(name) + `)\s*\)$`)
	child := r
	for p := r.Parent(); p != nil; child, p = p, p.Parent() {
		if p.Kind() == "function_definition" {
			return false
		}
		if p.Kind() != "if_statement" {
			continue
		}
		cond := p.ChildByFieldId(fieldCondition)
		cons := p.ChildByFieldId(fieldConsequence)
		if cond != nil && cons != nil && cons.Equals(*child) && re.MatchString(text(c.src, cond)) {
			return true
		}
	}
	return false
}

// releasedBefore reports a release that runs on every path to r: before
// it, in a block that encloses r.
func (c *checker) releasedBefore(r *sitter.Node, releases []*sitter.Node, name string) bool {
	for _, rel := range releases {
		if rel.EndByte() > r.StartByte() {
			continue
		}
		st := statementOf(rel)
		if st == nil {
			continue
		}
		blk := st.Parent()
		if blk != nil && blk.Kind() == "compound_statement" && blk.StartByte() <= r.StartByte() && r.EndByte() <= blk.EndByte() {
			return true
		}
		// if (e) { ... bpf_ringbuf_submit(e, 0); } return 0;: the path
		// around the branch is the one where e is NULL, nothing to release.
		for x := st.Parent(); x != nil && x.Kind() != "function_definition"; x = x.Parent() {
			if x.Kind() != "if_statement" || x.EndByte() > r.StartByte() {
				continue
			}
			cond := x.ChildByFieldId(fieldCondition)
			if cond == nil || !nonNullTest(text(c.src, cond), name) || x.ChildByFieldId(fieldAlternative) != nil {
				continue
			}
			if outer := x.Parent(); outer != nil && outer.StartByte() <= r.StartByte() && r.EndByte() <= outer.EndByte() {
				return true
			}
		}
	}
	return false
}

// nonNullTest reports whether an if's condition, "(e)" or "(e != NULL)",
// holds only when name is not NULL.
func nonNullTest(cond, name string) bool {
	q := regexp.QuoteMeta(name)
	return regexp.MustCompile(`^\(\s*(` + q + `|` + q + `\s*!=\s*(NULL|0)|(NULL|0)\s*!=\s*` + q + `)\s*\)$`).MatchString(strings.TrimSpace(cond))
}

// inSizeof reports whether n is inside a sizeof, which reads nothing.
func (c *checker) inSizeof(n *sitter.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		switch p.Kind() {
		case "sizeof_expression":
			return true
		case "expression_statement", "declaration", "return_statement", "compound_statement", "function_definition":
			return false
		}
	}
	return false
}

// lastReturn is the return statement that ends a function's body.
func lastReturn(fn *sitter.Node) *sitter.Node {
	body := fn.ChildByFieldId(fieldBody)
	if body == nil || body.NamedChildCount() == 0 {
		return nil
	}
	for i := int(body.NamedChildCount()) - 1; i >= 0; i-- {
		s := body.NamedChild(uint(i))
		if s.Kind() == "comment" {
			continue
		}
		if s.Kind() == "return_statement" {
			return s
		}
		return nil
	}
	return nil
}

// Program types whose context and kernel pointers are plain numbers to
// the verifier: kernel memory is read only through probe reads.
var probeReadTypes = map[string]bool{"kprobe": true, "tracepoint": true, "raw_tracepoint": true, "raw_tracepoint_writable": true, "perf_event": true}

// kernelSource: an initializer that yields a kernel address as a number.
var kernelSourceRe = regexp.MustCompile(`\bbpf_get_current_task\s*\(|->\s*args\s*\[|\bPT_REGS_(?:PARM\d|RC)\b|\bBPF_CORE_READ\s*\(|\bctx\s*\[`)

// kernelDerefs reports a direct dereference of a kernel pointer in a
// program that may read kernel memory only with probe reads (KG522).
func (c *checker) kernelDerefs(prog *Program, all []*sitter.Node, vars map[string]varType) {
	if !probeReadTypes[prog.Def.ProgType] || c.k == nil {
		return
	}
	unsafe := map[string]bool{}
	for name, lv := range c.locals {
		vt, ok := vars[name]
		if !ok || !vt.pointer || vt.flavor != "" || c.structs[vt.ref] || lv.init == nil {
			continue
		}
		if kernelSourceRe.MatchString(text(c.src, lv.init)) {
			unsafe[name] = true
		}
	}
	switch prog.Macro {
	case "BPF_KPROBE", "BPF_KRETPROBE", "BPF_KSYSCALL", "BPF_KPROBE_SYSCALL", "BPF_UPROBE", "BPF_URETPROBE":
		for _, p := range prog.Params {
			if id := declaredName(p); id != nil {
				if vt, ok := vars[text(c.src, id)]; ok && vt.pointer && vt.flavor == "" && !c.structs[vt.ref] {
					unsafe[text(c.src, id)] = true
				}
			}
		}
	}
	if len(unsafe) == 0 {
		return
	}
	for _, n := range all {
		if n.KindId() != kindIdentifier || !unsafe[text(c.src, n)] {
			continue
		}
		p := n.Parent()
		if p == nil || p.KindId() != kindFieldExpression {
			continue
		}
		if arg := p.ChildByFieldId(fieldArgument); arg == nil || !arg.Equals(*n) {
			continue
		}
		if op := p.ChildByFieldId(fieldOperator); op == nil || text(c.src, op) != "->" {
			continue
		}
		// The top of the chain of field accesses.
		top := p
		for up := top.Parent(); up != nil && up.KindId() == kindFieldExpression; up = top.Parent() {
			if a := up.ChildByFieldId(fieldArgument); a == nil || !a.Equals(*top) {
				break
			}
			top = up
		}
		if c.addressOnly(top, vars) || c.inMacroTest(top) {
			continue
		}
		f := analysis.New(analysis.KG522, span(top), fmt.Sprintf("%s is a kernel pointer, which a %s program may not dereference: the verifier sees a number (invalid mem access 'scalar'); read it with BPF_CORE_READ or bpf_probe_read_kernel", text(c.src, n), prog.Def.ProgType))
		if repl, ok := c.coreReadOf(top); ok && !lvalue(top) {
			f.Message += " (" + repl + ")"
			fx := analysis.Fix{Title: "Read with " + repl, Edits: []analysis.Edit{{Span: span(top), NewText: repl}}}
			if !strings.Contains(c.src, "bpf_core_read.h") {
				// Before the function (the function's findings are
				// kept by its text, so edits stay near it).
				fx.Edits = append([]analysis.Edit{{Span: analysis.Span{Start: c.typesAt, End: c.typesAt}, NewText: "#include <bpf/bpf_core_read.h>\n"}}, fx.Edits...)
			}
			f.Fixes = append(f.Fixes, fx)
		}
		c.add(f)
	}
}

// addressOnly: the access only computes an address (&p->f, or an array
// member that decays to a pointer), reading nothing.
func (c *checker) addressOnly(top *sitter.Node, vars map[string]varType) bool {
	if p := top.Parent(); p != nil && p.Kind() == "pointer_expression" {
		if op := p.ChildByFieldId(fieldOperator); op != nil && text(c.src, op) == "&" {
			return true
		}
	}
	if p := top.Parent(); p != nil && p.Kind() == "subscript_expression" {
		return false
	}
	// An array member: its value is its address.
	arg := top.ChildByFieldId(fieldArgument)
	field := top.ChildByFieldId(fieldField)
	if arg == nil || field == nil {
		return false
	}
	vt, ok := c.exprType(arg, vars)
	if !ok {
		return false
	}
	t, ok := c.k.Resolve(vt.ref)
	if !ok {
		return false
	}
	m, ok := c.k.Member(t, text(c.src, field))
	return ok && strings.Contains(m.Type, "[")
}

// inMacroTest: inside sizeof or a CO-RE test, which reads nothing.
func (c *checker) inMacroTest(n *sitter.Node) bool {
	return ancestor(n, func(p *sitter.Node) bool {
		switch p.Kind() {
		case "sizeof_expression":
			return true
		case "call_expression":
			if f := p.ChildByFieldId(fieldFunction); f != nil {
				name := text(c.src, f)
				return strings.HasPrefix(name, "bpf_core_") || name == "__builtin_preserve_access_index" || strings.HasPrefix(name, "BPF_CORE_")
			}
		}
		return false
	}) != nil
}

// lvalue: n is written (assigned to, incremented).
func lvalue(n *sitter.Node) bool {
	p := n.Parent()
	if p == nil {
		return false
	}
	switch p.Kind() {
	case "assignment_expression":
		l := p.ChildByFieldId(fieldLeft)
		return l != nil && l.Equals(*n)
	case "update_expression":
		return true
	}
	return false
}

// coreReadOf is the BPF_CORE_READ that reads a chain of -> and . field
// accesses from an identifier.
func (c *checker) coreReadOf(top *sitter.Node) (string, bool) {
	var parts []string // from the last field down
	cur := top
	pending := ""
	for cur.KindId() == kindFieldExpression {
		field := cur.ChildByFieldId(fieldField)
		op := cur.ChildByFieldId(fieldOperator)
		if field == nil || op == nil {
			return "", false
		}
		name := text(c.src, field)
		if pending != "" {
			name += "." + pending
		}
		if text(c.src, op) == "->" {
			parts = append(parts, name)
			pending = ""
		} else {
			pending = name
		}
		cur = cur.ChildByFieldId(fieldArgument)
		if cur == nil {
			return "", false
		}
	}
	if cur.KindId() != kindIdentifier || pending != "" {
		return "", false
	}
	args := []string{text(c.src, cur)}
	for i := len(parts) - 1; i >= 0; i-- {
		args = append(args, parts[i])
	}
	return "BPF_CORE_READ(" + strings.Join(args, ", ") + ")", true
}

// packetTypes are the program types whose context points into a packet.
var packetTypes = map[string]bool{"xdp": true, "sched_cls": true, "sched_act": true, "lwt_in": true, "lwt_out": true, "lwt_xmit": true, "sk_skb": true}

var dataRe = regexp.MustCompile(`->\s*data\b(?:[^_]|$)`)
var dataEndRe = regexp.MustCompile(`->\s*data_end\b`)

// packetBounds reports a packet pointer dereferenced before any
// comparison of it with the packet's end (KG524).
func (c *checker) packetBounds(fn *sitter.Node, prog *Program, all []*sitter.Node) {
	if !packetTypes[prog.Def.ProgType] || len(prog.Params) == 0 {
		return
	}
	ctxID := declaredName(prog.Params[0])
	if ctxID == nil {
		return
	}
	ctx := text(c.src, ctxID)
	pkt := map[string]*sitter.Node{} // packet pointer -> its declaration
	var ends []string
	// Declarations in document order: a pointer into the packet is one
	// initialized from ctx->data or from another packet pointer.
	for _, n := range all {
		if n.Kind() != "init_declarator" {
			continue
		}
		id := declaredIdent(n.ChildByFieldId(fieldDeclarator))
		v := n.ChildByFieldId(fieldValue)
		if id == nil || v == nil {
			continue
		}
		vt := text(c.src, v)
		name := text(c.src, id)
		switch {
		case dataEndRe.MatchString(vt):
			ends = append(ends, name)
		case strings.Contains(vt, ctx) && dataRe.MatchString(vt):
			pkt[name] = n
		default:
			for p := range pkt {
				if c.names(v, p) {
					pkt[name] = n
					break
				}
			}
		}
	}
	if len(pkt) == 0 {
		return
	}
	var compares []*sitter.Node
	for _, n := range all {
		if n.Kind() != "binary_expression" {
			continue
		}
		op := n.ChildByFieldId(fieldOperator)
		if op == nil {
			continue
		}
		switch op.Kind() {
		case "<", ">", "<=", ">=":
		default:
			continue
		}
		t := text(c.src, n)
		ok := dataEndRe.MatchString(t)
		for _, e := range ends {
			ok = ok || c.names(n, e)
		}
		if ok {
			compares = append(compares, n)
		}
	}
	reported := map[string]bool{}
	for _, n := range all {
		if n.KindId() != kindIdentifier {
			continue
		}
		name := text(c.src, n)
		decl, ok := pkt[name]
		if !ok || reported[name] || n.StartByte() < decl.EndByte() || !c.derefOf(n) {
			continue
		}
		reported[name] = true
		// A check of any pointer into the packet counts: one that
		// bounds a later header (ip + 1) bounds the earlier ones too.
		checked := false
		for _, cmp := range compares {
			if cmp.StartByte() > decl.EndByte() && cmp.EndByte() <= n.StartByte() {
				for p := range pkt {
					checked = checked || c.names(cmp, p)
				}
			}
		}
		if checked {
			continue
		}
		f := analysis.New(analysis.KG524, span(n.Parent()), fmt.Sprintf("%s points into the packet and is read before any check against data_end: the verifier refuses the access (invalid access to packet); compare (void *)(%s + 1) with data_end first", name, name))
		end := "(void *)(long)" + ctx + "->data_end"
		if len(ends) > 0 {
			end = ends[0]
		}
		if st := statementOf(decl); st != nil {
			ind := c.indentOf(int(st.StartByte()))
			f = f.WithFix("Check "+name+" against data_end", analysis.Span{Start: int(st.EndByte()), End: int(st.EndByte())},
				fmt.Sprintf("\n%sif ((void *)(%s + 1) > %s)\n%s\treturn%s;", ind, name, end, ind, c.returnValue(fn, prog)))
		}
		c.add(f)
	}
}

// stackIndex reports a local array indexed by a variable nothing
// compares before the access (KG524): the verifier refuses an unbounded
// offset into the stack.
func (c *checker) stackIndex(fn *sitter.Node, prog *Program, all []*sitter.Node) {
	for _, n := range all {
		if n.Kind() != "subscript_expression" {
			continue
		}
		arg, idx := n.ChildByFieldId(fieldArgument), n.ChildByFieldId(fieldIndex)
		if arg == nil || idx == nil || arg.KindId() != kindIdentifier || idx.KindId() != kindIdentifier {
			continue
		}
		arr, ok := c.locals[text(c.src, arg)]
		if !ok || !arr.array || arr.pointer || len(arr.dims) == 0 {
			continue
		}
		iname := text(c.src, idx)
		iv, ok := c.locals[iname]
		if !ok || iv.pointer || iv.array {
			continue
		}
		if iv.init != nil && (c.isConst(iv.init) || strings.ContainsAny(text(c.src, iv.init), "&%")) {
			continue
		}
		if s, ok := primSizes[iv.typ]; ok && s == 1 && arr.dims[0] >= 256 {
			continue
		}
		bounded := false
		for _, m := range all {
			if m.StartByte() >= n.StartByte() {
				break
			}
			switch m.Kind() {
			case "binary_expression":
				if op := m.ChildByFieldId(fieldOperator); op != nil && strings.ContainsAny(op.Kind(), "<>%&") && c.names(m, iname) {
					bounded = true
				}
			case "assignment_expression":
				if l := m.ChildByFieldId(fieldLeft); l != nil && text(c.src, l) == iname {
					if op := m.ChildByFieldId(fieldOperator); op != nil && (op.Kind() == "&=" || op.Kind() == "%=") {
						bounded = true
					}
				}
			}
		}
		if bounded {
			continue
		}
		f := analysis.New(analysis.KG524, span(n), fmt.Sprintf("%s indexes %s[%d] with nothing bounding it: the verifier refuses an unbounded offset into the stack; check %s < %d first", iname, text(c.src, arg), arr.dims[0], iname, arr.dims[0]))
		if st := statementOf(n); st != nil {
			ind := c.indentOf(int(st.StartByte()))
			f = f.WithFix(fmt.Sprintf("Return early when %s >= %d", iname, arr.dims[0]), analysis.Span{Start: int(st.StartByte()), End: int(st.StartByte())},
				fmt.Sprintf("if (%s >= %d)\n%s\treturn%s;\n%s", iname, arr.dims[0], ind, c.returnValue(fn, prog), ind))
		}
		c.add(f)
	}
}

// loops reports a loop with no bound the verifier can see (KG523): a
// while (1) or for (;;), or a counter compared only with a run-time value
// nothing clamps.
func (c *checker) loops(all []*sitter.Node) {
	for _, n := range all {
		switch n.Kind() {
		case "while_statement", "for_statement":
		default:
			continue
		}
		cond := n.ChildByFieldId(fieldCondition)
		if cond != nil && cond.Kind() == "parenthesized_expression" && cond.NamedChildCount() == 1 {
			cond = cond.NamedChild(0)
		}
		head := analysis.Span{Start: int(n.StartByte()), End: int(n.StartByte())}
		if body := n.ChildByFieldId(fieldBody); body != nil {
			head.End = int(body.StartByte())
		}
		if t := strings.TrimRight(c.src[head.Start:head.End], " \t\n"); len(t) > 0 {
			head.End = head.Start + len(t)
		}
		forever := cond == nil || text(c.src, cond) == "true"
		if v, ok := c.constValue(cond); cond != nil && ok && v != 0 {
			forever = true
		}
		if forever {
			f := analysis.New(analysis.KG523, head, "a loop without a bound: the verifier walks every iteration and gives up (program too large, or too complex); bound it by a constant, or use bpf_loop()")
			if n.Kind() == "while_statement" {
				f = f.WithFix("Bound the loop to 256 iterations", head, "for (int __kg_i = 0; __kg_i < 256; __kg_i++)")
			}
			c.add(f)
			continue
		}
		if n.Kind() != "for_statement" || cond.Kind() != "binary_expression" {
			continue
		}
		op := cond.ChildByFieldId(fieldOperator)
		l, r := cond.ChildByFieldId(fieldLeft), cond.ChildByFieldId(fieldRight)
		if op == nil || l == nil || r == nil || l.KindId() != kindIdentifier {
			continue
		}
		switch op.Kind() {
		case "<", "<=", "!=":
		default:
			continue
		}
		if c.isConst(r) || c.clamped(all, r, n) {
			continue
		}
		f := analysis.New(analysis.KG523, span(cond), fmt.Sprintf("%s is bounded only by %s, a run-time value: the verifier walks every iteration it cannot rule out and gives up; add a constant bound (%s && %s < 256), or use bpf_loop()", text(c.src, l), text(c.src, r), text(c.src, cond), text(c.src, l)))
		f = f.WithFix("Add a constant bound", span(cond), fmt.Sprintf("%s && %s < 256", text(c.src, cond), text(c.src, l)))
		c.add(f)
	}
}

// clamped reports a bound that a comparison with a constant (or a
// mask) before the loop limits, or a local initialized from a constant.
func (c *checker) clamped(all []*sitter.Node, bound, loop *sitter.Node) bool {
	name := strings.TrimSpace(text(c.src, bound))
	if lv, ok := c.locals[name]; ok && lv.init != nil && c.isConst(lv.init) {
		return true
	}
	for _, m := range all {
		if m.StartByte() >= loop.StartByte() {
			break
		}
		if m.Kind() != "binary_expression" && m.Kind() != "assignment_expression" {
			continue
		}
		t := text(c.src, m)
		if !strings.Contains(t, name) {
			continue
		}
		l, r := m.ChildByFieldId(fieldLeft), m.ChildByFieldId(fieldRight)
		if l == nil || r == nil {
			continue
		}
		if strings.TrimSpace(text(c.src, l)) == name && c.isConst(r) || strings.TrimSpace(text(c.src, r)) == name && c.isConst(l) {
			return true
		}
	}
	return false
}

// Program types whose context is read-only to the program.
var readOnlyCtx = map[string]bool{"kprobe": true, "tracepoint": true, "raw_tracepoint": true, "perf_event": true, "xdp": true, "tracing": true}

// ctxWrites reports an assignment to the context's fields (KG525).
func (c *checker) ctxWrites(prog *Program, all []*sitter.Node) {
	if !readOnlyCtx[prog.Def.ProgType] || prog.Macro != "" || len(prog.Params) == 0 {
		return
	}
	id := declaredName(prog.Params[0])
	if id == nil {
		return
	}
	ctx := text(c.src, id)
	for _, n := range all {
		var target, op *sitter.Node
		switch n.Kind() {
		case "assignment_expression":
			target, op = n.ChildByFieldId(fieldLeft), n.ChildByFieldId(fieldOperator)
		case "update_expression":
			target, op = n.ChildByFieldId(fieldArgument), n.ChildByFieldId(fieldOperator)
		default:
			continue
		}
		if target == nil || (target.KindId() != kindFieldExpression && target.Kind() != "subscript_expression") {
			continue
		}
		root := target
		for root.KindId() == kindFieldExpression || root.Kind() == "subscript_expression" {
			root = root.ChildByFieldId(fieldArgument)
			if root == nil {
				break
			}
		}
		if root == nil || root.KindId() != kindIdentifier || text(c.src, root) != ctx {
			continue
		}
		f := analysis.New(analysis.KG525, span(target), fmt.Sprintf("%s programs may not write their context (%s): the verifier refuses it (invalid bpf_context access)", prog.Def.ProgType, text(c.src, target)))
		if prog.Def.ProgType == "xdp" && n.Kind() == "assignment_expression" && op != nil {
			if v := n.ChildByFieldId(fieldRight); v != nil {
				switch field := text(c.src, target); {
				case strings.HasSuffix(field, "->data") && op.Kind() == "+=":
					f.Message += "; move the packet's start with bpf_xdp_adjust_head"
					f = f.WithFix("Call bpf_xdp_adjust_head", span(n), fmt.Sprintf("bpf_xdp_adjust_head(%s, %s)", ctx, text(c.src, v)))
				case strings.HasSuffix(field, "->data_end") && op.Kind() == "-=":
					f.Message += "; shrink the packet with bpf_xdp_adjust_tail"
					f = f.WithFix("Call bpf_xdp_adjust_tail", span(n), fmt.Sprintf("bpf_xdp_adjust_tail(%s, -(%s))", ctx, text(c.src, v)))
				}
			}
		}
		c.add(f)
	}
}

// returns reports a constant return value the program type does not
// allow (KG526): an error where the verifier checks the range, a warning
// for XDP (the kernel treats an unknown action as an error at run time).
func (c *checker) returns(prog *Program, all []*sitter.Node) {
	lo, hi := 0, 0
	sev := analysis.Error
	what := ""
	switch prog.Def.ProgType {
	case "cgroup_skb":
		lo, hi, what = 0, 1, "0 (drop) or 1 (allow)"
		if strings.Contains(prog.Section.Name, "egress") {
			hi, what = 3, "0 to 3 (bit 0: allow, bit 1: congestion)"
		}
	case "cgroup_sock", "cgroup_device", "cgroup_sysctl", "cgroup_sockopt", "cgroup_sock_addr":
		lo, hi, what = 0, 1, "0 (deny) or 1 (allow)"
	case "xdp":
		lo, hi, what, sev = 0, 4, "an XDP action (XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT)", analysis.Warning
	case "lsm":
		lo, hi, what = -4095, 0, "0 or a negative errno"
	default:
		return
	}
	for _, n := range all {
		if n.Kind() != "return_statement" || n.NamedChildCount() == 0 {
			continue
		}
		e := n.NamedChild(0)
		v, ok := c.constValue(e)
		if !ok || (lo <= v && v <= hi) {
			continue
		}
		f := analysis.New(analysis.KG526, span(e), fmt.Sprintf("%s programs return %s, not %d", prog.Def.ProgType, what, v)).WithSeverity(sev)
		switch {
		case prog.Def.ProgType == "xdp" && v < 0:
			f = f.WithFix("Return XDP_ABORTED", span(e), "XDP_ABORTED")
		case prog.Def.ProgType == "cgroup_skb" && v == 2:
			f.Message += " (TC_ACT_SHOT is a tc action; here 0 drops)"
			f = f.WithFix("Return 0 (drop)", span(e), "0")
		case prog.Def.ProgType == "lsm" && v > 0:
			f = f.WithFix("Return -EPERM (-1)", span(e), "-1")
		}
		c.add(f)
	}
}

// readStructSizes computes the sizes of the structs the file defines, as
// clang lays them out (members aligned to their size, up to 8 bytes).
func (c *checker) readStructSizes(tops []sitter.Node) {
	c.structSizes = map[string]int{}
	for i := range tops {
		preorder(&tops[i], func(x *sitter.Node) bool {
			if x.Kind() != "struct_specifier" {
				return x.Kind() == "declaration" || x.Kind() == "type_definition"
			}
			name, body := x.ChildByFieldId(fieldName), x.ChildByFieldId(fieldBody)
			if name == nil || body == nil {
				return false
			}
			size, align := 0, 1
			for j := uint(0); j < body.NamedChildCount(); j++ {
				fd := body.NamedChild(j)
				if fd.Kind() != "field_declaration" {
					continue
				}
				tn := fd.ChildByFieldId(fieldType)
				if tn == nil {
					continue
				}
				elem := c.sizeOfType(tn)
				if elem == 0 {
					return false // a member of unknown size: no answer
				}
				for k := uint(0); k < fd.NamedChildCount(); k++ {
					d := fd.NamedChild(k)
					if d.Equals(*tn) {
						continue
					}
					n, a := 1, elem
					for d != nil && d.Kind() == "array_declarator" {
						if sz := d.ChildByFieldId(fieldSize); sz != nil {
							if v, ok := c.constValue(sz); ok {
								n *= v
							}
						}
						d = d.ChildByFieldId(fieldDeclarator)
					}
					if d != nil && d.Kind() == "pointer_declarator" {
						elem, a, n = 8, 8, 1
					}
					a = min(a, 8)
					if a > align {
						align = a
					}
					size = (size + a - 1) / a * a
					size += n * elem
				}
			}
			size = (size + align - 1) / align * align
			c.structSizes[text(c.src, name)] = size
			return false
		}, func() bool { return true })
	}
}
