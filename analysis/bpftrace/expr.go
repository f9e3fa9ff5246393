package bpftrace

import (
	"fmt"
	"strings"

	"github.com/kgent/kgent/analysis"
)

// binary operator precedence, C order.
var precedence = map[string]int{
	"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5,
	"==": 6, "!=": 6,
	"<": 7, "<=": 7, ">": 7, ">=": 7,
	"<<": 8, ">>": 8,
	"+": 9, "-": 9,
	"*": 10, "/": 10, "%": 10,
}

// expr parses an expression; inPred stops at a top-level '/' (the end
// of a predicate).
func (p *parser) expr(inPred bool) Expr {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return p.skipDeep(inPred)
	}
	cond := p.binary(1, inPred)
	if p.is("?") {
		p.advance()
		if p.is(":") { // a ?: b, newest bpftrace
			p.feature("elvis", p.span())
			p.advance()
			els := p.expr(inPred)
			return &Ternary{Cond: cond, Then: cond, Else: els, Span: analysis.Span{Start: cond.NodeSpan().Start, End: els.NodeSpan().End}}
		}
		then := p.expr(false)
		if p.is(":") && p.tok.end < len(p.lx.src) && isIdentChar(p.lx.src[p.tok.end]) {
			// `a ? b :c`: up to 0.23 the lexer reads ":c" as a path.
			p.feature("colon-glued", p.span())
		}
		p.expect(":")
		els := p.expr(inPred)
		return &Ternary{Cond: cond, Then: then, Else: els, Span: analysis.Span{Start: cond.NodeSpan().Start, End: els.NodeSpan().End}}
	}
	return cond
}

func (p *parser) binary(minPrec int, inPred bool) Expr {
	left := p.unary(inPred)
	n := 0 // the length of the chain: each operator is a level of the tree
	for p.tok.kind == tPunct {
		op := p.tok.text
		prec, ok := precedence[op]
		if !ok || prec < minPrec || (inPred && op == "/") {
			break
		}
		p.advance()
		right := p.binary(prec+1, inPred)
		sp := analysis.Span{Start: left.NodeSpan().Start, End: right.NodeSpan().End}
		if n++; n > maxDepth {
			// Read on to the end of the chain, keeping only what is
			// within the limit.
			left = p.cut(left, sp)
			continue
		}
		left = &Binary{Op: op, L: left, R: right, Span: sp}
	}
	return left
}

// cut is the node for a chain grown past maxDepth: x is the part within
// the limit, sp the whole chain so far. KG101 is reported at the first cut.
func (p *parser) cut(x Expr, sp analysis.Span) Expr {
	if b, ok := x.(*BadExpr); ok && b.X != nil {
		b.Span = sp
		return b
	}
	p.tooDeep(analysis.Span{Start: x.NodeSpan().End, End: sp.End})
	return &BadExpr{X: x, Span: sp}
}

// tooDeep reports KG101 at sp (the first time only).
func (p *parser) tooDeep(sp analysis.Span) {
	if p.deep {
		return
	}
	p.deep = true
	sp.End = min(sp.End, sp.Start+64)
	if i := strings.IndexByte(p.lx.src[sp.Start:sp.End], '\n'); i > 0 {
		sp.End = sp.Start + i
	}
	if sp.End <= sp.Start {
		sp.End = min(sp.Start+1, len(p.lx.src))
		sp.Start = min(sp.Start, sp.End)
	}
	p.errs = append(p.errs, analysis.New(analysis.KG101, sp, fmt.Sprintf("expression nested more than %d levels deep: kgent does not analyse it past this point", maxDepth)).
		WithNote("split it into steps kept in variables"))
}

// skipDeep reads over an expression nested too deeply, to the token that
// ends the bracket around it (or the statement), without building it.
func (p *parser) skipDeep(inPred bool) Expr {
	start := p.tok.pos
	p.tooDeep(p.span())
	depth := 0
	for p.tok.kind != tEOF {
		if p.tok.kind == tPunct {
			switch p.tok.text {
			case "{":
				if depth == 0 {
					// The block after an if or while condition.
					return &BadExpr{Span: analysis.Span{Start: start, End: max(start, p.lastEnd)}}
				}
				depth++
			case "(", "[":
				depth++
			case ")", "]", "}":
				if depth == 0 {
					return &BadExpr{Span: analysis.Span{Start: start, End: max(start, p.lastEnd)}}
				}
				depth--
			case ";", ",", ":", "?":
				if depth == 0 {
					return &BadExpr{Span: analysis.Span{Start: start, End: max(start, p.lastEnd)}}
				}
			case "/":
				if depth == 0 && inPred {
					return &BadExpr{Span: analysis.Span{Start: start, End: max(start, p.lastEnd)}}
				}
			}
		}
		p.advance()
	}
	return &BadExpr{Span: analysis.Span{Start: start, End: max(start, p.lastEnd)}}
}

func (p *parser) unary(inPred bool) Expr {
	if p.tok.kind == tPunct {
		switch p.tok.text {
		case "!", "~", "-", "+", "*", "&", "++", "--":
			op, start := p.tok.text, p.tok.pos
			if op == "&" {
				p.feature("addr-of", p.span())
			}
			p.depth++
			defer func() { p.depth-- }()
			if p.depth > maxDepth {
				return p.skipDeep(inPred)
			}
			p.advance()
			x := p.unary(inPred)
			if op == "++" || op == "--" {
				p.incOperand(x)
			}
			return &Unary{Op: op, X: x, Span: analysis.Span{Start: start, End: x.NodeSpan().End}}
		case "(":
			p.depth++
			defer func() { p.depth-- }()
			if p.depth > maxDepth {
				return p.skipDeep(inPred)
			}
			if c := p.tryCast(inPred); c != nil {
				return c
			}
		}
	}
	return p.postfix(p.primary(), inPred)
}

var castTypes = map[string]bool{
	"int8": true, "int16": true, "int32": true, "int64": true,
	"uint8": true, "uint16": true, "uint32": true, "uint64": true,
	"char": true, "short": true, "int": true, "long": true, "unsigned": true, "signed": true,
	"u8": true, "u16": true, "u32": true, "u64": true, "s8": true, "s16": true, "s32": true, "s64": true,
	"bool": true, "void": true, "inet": true, "string": true, "buffer": true,
}

// tryCast parses `(type)x` or `(struct X *)x` when the parenthesis holds a
// type; otherwise it leaves the position unchanged and returns nil.
func (p *parser) tryCast(inPred bool) Expr {
	save, saveTok, saveLast := p.lx.pos, p.tok, p.lastEnd
	start := p.tok.pos
	p.advance() // (
	var words []string
	typeStart := p.tok.pos
	isType := false
	if p.tok.kind == tIdent && (p.tok.text == "struct" || p.tok.text == "union" || p.tok.text == "enum") {
		words = append(words, p.tok.text)
		p.advance()
		if p.tok.kind == tIdent {
			words = append(words, p.tok.text)
			p.advance()
			isType = true
		}
		if p.structTail() {
			isType = true
		}
	} else {
		for p.tok.kind == tIdent && castTypes[p.tok.text] {
			words = append(words, p.tok.text)
			p.advance()
			isType = true
		}
	}
	typeEnd := p.lastEnd
	ptr := 0
	for isType && p.is("*") {
		ptr++
		p.advance()
	}
	arraySpan := p.span()
	array := isType && p.is("[")
	if array { // (uint8[4]) casts
		p.skipBalanced("[", "]")
	}
	if !isType || !p.is(")") {
		p.lx.pos, p.tok, p.lastEnd = save, saveTok, saveLast
		return nil
	}
	if array {
		p.feature("array-cast", arraySpan)
	}
	if len(words) > 1 && words[0] != "struct" && words[0] != "union" && words[0] != "enum" {
		// No release takes a C type of several words.
		p.errorAt(analysis.Span{Start: typeStart, End: typeEnd}, "a cast takes one type name, not %q: write uint32, int64, ...", strings.Join(words, " "))
	}
	p.advance()
	x := p.unary(inPred)
	return &Cast{Type: strings.Join(words, " "), TypeSpan: analysis.Span{Start: typeStart, End: typeEnd}, Ptr: ptr, X: x,
		Span: analysis.Span{Start: start, End: x.NodeSpan().End}}
}

func (p *parser) postfix(x Expr, inPred bool) Expr {
	// Each step of the chain is a level of the tree; past maxDepth the
	// chain is read on without keeping its steps.
	var kept Expr // the chain within the limit, once it is past it
	for n := 0; ; n++ {
		if n > maxDepth {
			if kept == nil {
				kept = x
			}
			x = p.cut(kept, analysis.Span{Start: kept.NodeSpan().Start, End: x.NodeSpan().End})
			kept = x
		}
		switch {
		case p.is("."), p.is("->"):
			arrow := p.is("->")
			p.advance()
			if p.tok.kind != tIdent && p.tok.kind != tInt {
				p.errorAt(p.span(), "expected a field name after %s, found %s", map[bool]string{true: "->", false: "."}[arrow], describe(p.tok))
				return x
			}
			x = &FieldAccess{X: x, Name: p.tok.text, NameSpan: p.span(), Arrow: arrow, Span: analysis.Span{Start: x.NodeSpan().Start, End: p.tok.end}}
			p.advance()
		case p.is("["):
			p.advance()
			idx := p.expr(false)
			end := p.tok.end
			p.expect("]")
			x = &IndexExpr{X: x, Index: idx, Span: analysis.Span{Start: x.NodeSpan().Start, End: end}}
		case p.is("++"), p.is("--"):
			op := p.tok.text
			end := p.tok.end
			p.incOperand(x)
			p.advance()
			x = &Unary{Op: "post" + op, X: x, Span: analysis.Span{Start: x.NodeSpan().Start, End: end}}
		default:
			return x
		}
	}
}

// incOperand reports an operand of ++ or -- that is not a variable or a
// map (a positional parameter, a field, a call), which every release's
// grammar refuses.
func (p *parser) incOperand(x Expr) {
	switch v := x.(type) {
	case *Var:
		if name := strings.TrimPrefix(v.Name, "$"); name != "" && name != "#" && isIdentStart(name[0]) {
			return
		}
	case *MapRef, *BadExpr:
		return
	}
	p.errorAt(x.NodeSpan(), "++ and -- apply to a variable or a map")
}

func (p *parser) primary() Expr {
	t := p.tok
	s := p.span()
	switch t.kind {
	case tInt:
		p.advance()
		p.intLit(t.text, s)
		return &IntLit{Text: t.text, Span: s}
	case tString:
		p.advance()
		v := t.text
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		return &StrLit{Value: v, Span: s}
	case tVar:
		p.advance()
		return &Var{Name: t.text, Span: s}
	case tMap:
		p.advance()
		m := &MapRef{Name: t.text, Span: s}
		if p.is("[") {
			p.advance()
			if !p.is("]") {
				m.Keys = append(m.Keys, p.expr(false))
				for p.is(",") {
					p.advance()
					m.Keys = append(m.Keys, p.expr(false))
				}
			}
			m.Span.End = p.tok.end
			p.expect("]")
		}
		return m
	case tIdent:
		p.advance()
		macro := false
		if p.is("!") && p.tok.end < len(p.lx.src) && p.lx.src[p.tok.end] == '(' {
			macro = true // name!(...)
			p.advance()
		}
		if p.is("(") {
			c := &Call{Name: t.text, NameSpan: s, Macro: macro}
			p.advance()
			if !p.is(")") {
				c.Args = append(c.Args, p.callArg())
				for p.is(",") {
					p.advance()
					c.Args = append(c.Args, p.callArg())
				}
			}
			c.Span = analysis.Span{Start: s.Start, End: p.tok.end}
			p.expect(")")
			return c
		}
		return &Ident{Name: t.text, Span: s}
	case tPunct:
		if t.text == "{" {
			p.feature("block-expr", s)
			b := p.block()
			return &BlockExpr{Block: b, Span: b.Span}
		}
		if t.text == "(" {
			p.advance()
			if p.is(")") { // the empty tuple (newer releases)
				p.feature("tuple-comma", s)
				end := p.tok.end
				p.advance()
				return &Tuple{Span: analysis.Span{Start: s.Start, End: end}}
			}
			first := p.assignExpr()
			if p.is(",") {
				tu := &Tuple{Elems: []Expr{first}}
				for p.is(",") {
					p.advance()
					if p.is(")") { // (1,) and (1, 2,): newer releases
						p.feature("tuple-comma", s)
						break
					}
					tu.Elems = append(tu.Elems, p.assignExpr()) // records: (a=1, b=2)
				}
				for _, e := range tu.Elems {
					if _, ok := e.(*Assign); ok {
						p.feature("record", s)
					}
				}
				tu.Span = analysis.Span{Start: s.Start, End: p.tok.end}
				p.expect(")")
				return tu
			}
			end := p.tok.end
			p.expect(")")
			return &Paren{X: first, Span: analysis.Span{Start: s.Start, End: end}}
		}
	}
	p.errorAt(s, "expected an expression, found %s", describe(t))
	if t.kind != tEOF && !(t.kind == tPunct && (t.text == "}" || t.text == ";" || t.text == ")")) {
		p.advance()
	}
	return &BadExpr{Span: s}
}

// structTail reads what 0.17 and 0.23 take as more of a struct type's
// name, up to its '*' or ')' (struct a b, struct+ x, struct s &), which
// 0.27 refuses; it reports whether there was any.
func (p *parser) structTail() bool {
	start, n := p.tok.pos, 0
	for p.tok.kind != tEOF && p.tok.kind != tDirective && !p.is("*") && !p.is(")") && !p.is(",") && !p.is(";") && !p.is("{") && !p.is("}") && n < 16 {
		p.advance()
		n++
	}
	if n > 0 {
		p.feature("struct-words", analysis.Span{Start: start, End: p.lastEnd})
	}
	return n > 0
}

// callArg parses a call argument; sizeof/offsetof take types.
func (p *parser) callArg() Expr {
	if p.tok.kind == tIdent && (p.tok.text == "struct" || p.tok.text == "union") {
		start := p.tok.pos
		p.advance()
		name := ""
		if p.tok.kind == tIdent {
			name = p.tok.text
			p.advance()
		}
		p.structTail()
		for p.is("*") {
			p.advance()
		}
		return &Cast{Type: "struct " + name, TypeSpan: analysis.Span{Start: start, End: p.lastEnd}, X: &BadExpr{Span: analysis.Span{Start: p.lastEnd, End: p.lastEnd}}, Span: analysis.Span{Start: start, End: p.lastEnd}}
	}
	return p.assignExpr()
}

// durationUnits are the suffixes of duration literals (5s, 10ms).
// intSuffixes are C's integer suffixes, which every release takes.
var intSuffixes = map[string]bool{"u": true, "l": true, "ul": true, "lu": true, "ll": true, "ull": true, "llu": true}

var durationUnits = map[string]bool{"ns": true, "us": true, "ms": true, "s": true, "m": true, "h": true, "d": true}

// intLit checks an integer literal's spelling: decimal with '_'
// separators, 0x hex, a character literal, or a duration (newer
// bpftrace); anything else (10u8) is refused by every release.
func (p *parser) intLit(text string, s analysis.Span) {
	if strings.HasPrefix(text, "'") {
		// No release has character literals.
		p.errorAt(s, "bpftrace has no character literals: write the character's number or a string")
		return
	}
	t := strings.ReplaceAll(text, "_", "")
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X") {
		for _, c := range t[2:] {
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				p.errorAt(s, "invalid integer literal %s", text)
				return
			}
		}
		return
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	switch suf := strings.ToLower(t[i:]); {
	case i == len(t), intSuffixes[suf]:
		if suf != "" && strings.ContainsAny(t[i:], "LU") {
			p.feature("upper-int-suffix", s) // 7LL, 3ULL: refused by 0.27
		}
	case i > 0 && len(suf) > 1 && suf[0] == 'e' && strings.Trim(suf[1:], "0123456789") == "":
		// Scientific notation of an integer (1e6), which every release
		// takes (the tools bpftrace ships divide by 1e6).
	case durationUnits[suf]:
		p.feature("duration", s)
	default:
		p.errorAt(s, "invalid integer literal %s", text)
	}
}
