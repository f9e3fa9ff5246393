package bpfc

import (
	"fmt"
	"sort"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/kgent/kgent/analysis"
)

// The fix for a stack frame over 512 bytes: the largest local buffers
// move into per-CPU array maps of one entry, the libbpf idiom for scratch
// space. Each declaration becomes a lookup (with its NULL check), and the
// uses that depended on the buffer being an object of the frame follow:
// sizeof(buf) keeps the buffer's size, s.f becomes s->f, &s becomes s.

// scratchFix moves locals out of a frame of stack bytes until it fits.
func (c *checker) scratchFix(fn *sitter.Node, prog *Program, stack int) (analysis.Fix, bool) {
	body := fn.ChildByFieldId(fieldBody)
	if body == nil || len(c.locals) == 0 {
		return analysis.Fix{}, false
	}
	type cand struct {
		name string
		lv   localVar
		size int
	}
	var cands []cand
	for name, lv := range c.locals {
		if lv.pointer || lv.decl == nil || len(splitArgs(text(c.src, lv.decl))) != 1 {
			continue
		}
		tn := lv.decl.ChildByFieldId(fieldType)
		if tn == nil {
			continue
		}
		size := c.sizeOfType(tn)
		if lv.array {
			if len(lv.dims) != len(lv.dimText) || len(lv.dims) == 0 {
				continue
			}
			for _, d := range lv.dims {
				size *= d
			}
		} else if !strings.HasPrefix(lv.typ, "struct ") {
			continue
		}
		if size >= 64 {
			cands = append(cands, cand{name, lv, size})
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].size != cands[j].size {
			return cands[i].size > cands[j].size
		}
		return cands[i].name < cands[j].name
	})
	fname := "prog"
	if id, _ := funcName(fn); id != nil {
		fname = text(c.src, id)
	}
	ret := c.returnValue(fn, prog)
	var fx analysis.Fix
	var maps strings.Builder
	var moved []string
	for _, cd := range cands {
		if stack <= 448 {
			break
		}
		stack -= cd.size
		moved = append(moved, cd.name)
		lv, v := cd.lv, cd.name
		mapName := fname + "_" + v + "_heap"
		valType, ptrDecl, sizeOf := lv.typ, "*"+v, "*"+v
		if lv.array {
			valType = lv.typ + "[" + strings.Join(lv.dimText, "][") + "]"
			sizeOf = valType
			if len(lv.dimText) > 1 {
				ptrDecl = "(*" + v + ")[" + strings.Join(lv.dimText[1:], "][") + "]"
			}
		}
		fmt.Fprintf(&maps, "struct {\n\t__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);\n\t__uint(max_entries, 1);\n\t__type(key, u32);\n\t__type(value, %s);\n} %s SEC(\".maps\");\n\n", valType, mapName)
		ind := c.indentOf(int(lv.decl.StartByte()))
		repl := fmt.Sprintf("u32 %s_key = 0;\n%s%s %s = bpf_map_lookup_elem(&%s, &%s_key);\n%sif (!%s)\n%s\treturn%s;", v, ind, lv.typ, ptrDecl, mapName, v, ind, v, ind, ret)
		if lv.init != nil {
			// The map's entry keeps the last run's bytes: clear it as
			// the initializer did.
			repl += fmt.Sprintf("\n%s__builtin_memset(%s, 0, sizeof(%s));", ind, v, sizeOf)
		}
		fx.Edits = append(fx.Edits, analysis.Edit{Span: span(lv.decl), NewText: repl})
		fx.Edits = append(fx.Edits, c.scratchUses(body, v, lv, sizeOf, int(lv.decl.EndByte()))...)
	}
	if stack > 448 || len(moved) == 0 {
		return analysis.Fix{}, false
	}
	fx.Edits = append(fx.Edits, analysis.Edit{Span: analysis.Span{Start: c.typesAt, End: c.typesAt}, NewText: maps.String()})
	fx.Title = "Move " + strings.Join(moved, ", ") + " into a per-CPU array map (scratch space)"
	return fx, true
}

// scratchUses rewrites the uses of a local moved into a map after its
// declaration: sizeof(v) keeps the object's size, &v is v, and a struct's
// v.f is v->f (and v itself *v).
func (c *checker) scratchUses(body *sitter.Node, v string, lv localVar, sizeOf string, after int) []analysis.Edit {
	var out []analysis.Edit
	all := nodes(body)
	for _, n := range all {
		if n.KindId() != kindIdentifier || int(n.StartByte()) < after || text(c.src, n) != v {
			continue
		}
		p := n.Parent()
		if p == nil {
			continue
		}
		// Up through parentheses: sizeof(v), &(v).
		top := n
		for p != nil && p.KindId() == kindParenthesized {
			top, p = p, p.Parent()
		}
		switch {
		case p != nil && p.Kind() == "sizeof_expression":
			out = append(out, analysis.Edit{Span: span(n), NewText: sizeOf})
			if top == n {
				// sizeof v: the type needs parentheses.
				out[len(out)-1].NewText = "(" + sizeOf + ")"
			}
		case p != nil && p.Kind() == "pointer_expression" && strings.HasPrefix(text(c.src, p), "&"):
			out = append(out, analysis.Edit{Span: span(p), NewText: v})
		case lv.array:
			// An array's other uses decay to its address either way.
		case p != nil && p.KindId() == kindFieldExpression:
			if op := p.ChildByFieldId(fieldOperator); op != nil && text(c.src, op) == "." {
				out = append(out, analysis.Edit{Span: span(op), NewText: "->"})
			}
		default:
			out = append(out, analysis.Edit{Span: span(n), NewText: "(*" + v + ")"})
		}
	}
	return out
}
