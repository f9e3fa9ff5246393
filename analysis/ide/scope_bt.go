package ide

import (
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/bpftrace"
)

// The bpftrace index is read from the AST. @maps belong to the script
// (scope 0, hoisted: every probe, BEGIN and END share them). A $variable
// belongs to its probe (a hoisted scope per probe: a $x in another probe
// is another variable), unless a `let $x` declares it in a block
// (bpftrace 0.22 scopes variables by block), from the let to the end of
// the block; a for loop's variable belongs to the loop. A variable or map
// that nothing declares is defined where it is first assigned (else
// first used). Macros (#define, `macro`) are names of the script too.
// The parser bounds the depth of the tree, so the walk recurses.

type btBuilder struct {
	x        *index
	f        *bpftrace.File
	assigned map[int]bool // occurrences (by span start) assigned to
}

func buildBpftrace(src string) *index {
	x := newIndex(analysis.DialectBpftrace, src)
	x.newScope(-1, true) // the script
	f, _ := bpftrace.Parse(src)
	b := &btBuilder{x: x, f: f, assigned: map[int]bool{}}
	for i, name := range f.MapDecls {
		if i < len(f.MapDeclSpans) {
			x.declare(0, name, f.MapDeclSpans[i], true, entMap)
		}
	}
	for name, sp := range f.Macros {
		if sp, ok := nameIn(src, sp, name); ok {
			x.declare(0, name, sp, true, entMacro)
		}
	}
	for _, p := range f.Probes {
		ps := x.newScope(0, true)
		b.expr(p.Pred, ps)
		if p.Body != nil {
			b.block(p.Body, ps)
		}
	}
	implicit := map[int]bool{}
	x.resolve(func(o *occ) int {
		switch o.name[0] {
		case '@':
			e := x.entityFor(0, o.name, o.span, false, entMap)
			implicit[e] = true
			return e
		case '$':
			s := o.scope
			for x.scopes[s].parent > 0 {
				s = x.scopes[s].parent
			}
			e := x.entityFor(s, o.name, o.span, false, entVar)
			implicit[e] = true
			return e
		}
		return -1
	})
	// An implicit name is defined by its first assignment, else its
	// first occurrence.
	first := map[int]int{}
	for i, o := range x.occs {
		if !implicit[o.ent] {
			continue
		}
		j, seen := first[o.ent]
		if !seen || b.assigned[o.span.Start] && !b.assigned[x.occs[j].span.Start] {
			first[o.ent] = i
		}
	}
	for e, i := range first {
		x.occs[i].decl = true
		x.ents[e].def = x.occs[i].span
	}
	return x
}

func (b *btBuilder) block(bl *bpftrace.Block, parent int) {
	if bl == nil {
		return
	}
	s := b.x.newScope(parent, false)
	for _, st := range bl.Stmts {
		b.stmt(st, s)
	}
}

func (b *btBuilder) stmt(st bpftrace.Stmt, s int) {
	switch st := st.(type) {
	case nil:
	case *bpftrace.ExprStmt:
		if st == nil {
			return
		}
		if st.Let {
			v, rhs := st.X, bpftrace.Expr(nil)
			if a, ok := st.X.(*bpftrace.Assign); ok {
				v, rhs = a.LHS, a.RHS
			}
			if v, ok := v.(*bpftrace.Var); ok && isScratch(v.Name) {
				// Visible after the statement: its value is read
				// from the scope around it.
				e := b.x.declare(s, v.Name, v.Span, true, entVar)
				b.x.ents[e].pos = st.Span.End
				b.expr(rhs, s)
				return
			}
		}
		b.expr(st.X, s)
	case *bpftrace.IfStmt:
		if st == nil {
			return
		}
		b.expr(st.Cond, s)
		b.block(st.Then, s)
		b.stmt(st.Else, s)
	case *bpftrace.LoopStmt:
		if st == nil {
			return
		}
		head := st.Head
		body := s
		if st.Kind == "for" && len(head) > 0 {
			if v, ok := head[0].(*bpftrace.Var); ok && isScratch(v.Name) {
				body = b.x.newScope(s, false)
				b.x.declare(body, v.Name, v.Span, true, entVar)
				head = head[1:]
			}
		}
		for _, h := range head {
			b.expr(h, s)
		}
		b.block(st.Body, body)
	case *bpftrace.ReturnStmt:
		if st != nil {
			b.expr(st.X, s)
		}
	case *bpftrace.BlockStmt:
		if st != nil {
			b.block(st.Block, s)
		}
	default:
		b.loose(st, s)
	}
}

// isScratch: $name, not a positional parameter ($1, $#).
func isScratch(name string) bool {
	return len(name) > 1 && name[0] == '$' && name[1] != '#' && (name[1] < '0' || name[1] > '9')
}

func (b *btBuilder) mapRef(m *bpftrace.MapRef) analysis.Span {
	return analysis.Span{Start: m.Span.Start, End: m.Span.Start + len(m.Name)}
}

func (b *btBuilder) expr(e bpftrace.Expr, s int) {
	switch e := e.(type) {
	case nil:
	case *bpftrace.Var:
		if e != nil && isScratch(e.Name) {
			b.x.use(s, e.Name, e.Span)
		}
	case *bpftrace.MapRef:
		if e == nil {
			return
		}
		b.x.use(0, e.Name, b.mapRef(e))
		for _, k := range e.Keys {
			b.expr(k, s)
		}
	case *bpftrace.Ident:
		if e != nil {
			if _, ok := b.f.Macros[e.Name]; ok {
				b.x.use(0, e.Name, e.Span)
			}
		}
	case *bpftrace.Call:
		if e == nil {
			return
		}
		if _, ok := b.f.Macros[e.Name]; ok {
			b.x.use(0, e.Name, e.NameSpan)
		}
		for _, a := range e.Args {
			b.expr(a, s)
		}
	case *bpftrace.Assign:
		if e == nil {
			return
		}
		b.markAssigned(e.LHS)
		b.expr(e.LHS, s)
		b.expr(e.RHS, s)
	case *bpftrace.Unary:
		if e == nil {
			return
		}
		if e.Op == "++" || e.Op == "--" {
			b.markAssigned(e.X)
		}
		b.expr(e.X, s)
	case *bpftrace.Binary:
		if e != nil {
			b.expr(e.L, s)
			b.expr(e.R, s)
		}
	case *bpftrace.Ternary:
		if e != nil {
			b.expr(e.Cond, s)
			b.expr(e.Then, s)
			b.expr(e.Else, s)
		}
	case *bpftrace.FieldAccess:
		if e != nil {
			b.expr(e.X, s)
		}
	case *bpftrace.IndexExpr:
		if e != nil {
			b.expr(e.X, s)
			b.expr(e.Index, s)
		}
	case *bpftrace.Cast:
		if e != nil {
			b.expr(e.X, s)
		}
	case *bpftrace.Tuple:
		if e != nil {
			for _, x := range e.Elems {
				b.expr(x, s)
			}
		}
	case *bpftrace.Paren:
		if e != nil {
			b.expr(e.X, s)
		}
	case *bpftrace.BadExpr:
		if e != nil {
			b.expr(e.X, s)
		}
	case *bpftrace.BlockExpr:
		if e != nil {
			b.block(e.Block, s)
		}
	case *bpftrace.IntLit, *bpftrace.StrLit:
	default:
		b.loose(e, s)
	}
}

// loose reads a node kind this file does not know (one added to the
// parser since) without its scopes: its variables and maps still count.
func (b *btBuilder) loose(n bpftrace.Node, s int) {
	bpftrace.Walk(n, func(n bpftrace.Node) {
		switch n := n.(type) {
		case *bpftrace.Var:
			if isScratch(n.Name) {
				b.x.use(s, n.Name, n.Span)
			}
		case *bpftrace.MapRef:
			b.x.use(0, n.Name, b.mapRef(n))
		}
	})
}

// markAssigned notes that the variable or map e (through parentheses)
// is assigned to.
func (b *btBuilder) markAssigned(e bpftrace.Expr) {
	switch e := bpftrace.Unparen(e).(type) {
	case *bpftrace.Var:
		if e != nil {
			b.assigned[e.Span.Start] = true
		}
	case *bpftrace.MapRef:
		if e != nil {
			b.assigned[e.Span.Start] = true
		}
	}
}

// nameIn is the span of name in sp: sp itself, or (for a #define line)
// the first whole word name after "define".
func nameIn(src string, sp analysis.Span, name string) (analysis.Span, bool) {
	if sp.Start < 0 || sp.End > len(src) || sp.Start > sp.End || name == "" {
		return analysis.Span{}, false
	}
	text := src[sp.Start:sp.End]
	if text == name {
		return sp, true
	}
	from := strings.Index(text, "define")
	if from < 0 {
		return analysis.Span{}, false
	}
	for i := from + len("define"); i+len(name) <= len(text); i++ {
		if text[i:i+len(name)] == name && !isWord(text[i-1]) && (i+len(name) == len(text) || !isWord(text[i+len(name)])) {
			return analysis.Span{Start: sp.Start + i, End: sp.Start + i + len(name)}, true
		}
	}
	return analysis.Span{}, false
}
