package bpfc

import (
	"fmt"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// structRef is the kernel struct a struct name refers to: a ___flavor
// (task_struct___o, which libbpf matches to task_struct by the name
// before the triple underscore) refers to its base when the kernel has
// it, and flavor is then the flavor's name.
func (c *checker) structRef(name string) (ref, flavor string) {
	if i := strings.Index(name, "___"); i > 0 && c.k != nil {
		if _, ok := c.k.Resolve(name[:i]); ok {
			return name[:i], name
		}
	}
	return name, ""
}

// inExistsTest reports whether n is inside the argument of an existence
// test (bpf_core_field_exists(t->__state)): asking is not using.
func (c *checker) inExistsTest(n *sitter.Node) bool {
	p := n.Parent()
	for up := 0; p != nil && up < 8; up, p = up+1, p.Parent() {
		if p.Kind() == "call_expression" {
			if fn := p.ChildByFieldId(fieldFunction); fn != nil && existsTests[text(c.src, fn)] {
				return true
			}
		}
		if p.KindId() == kindFunctionDefinition {
			break
		}
	}
	return false
}

// fieldTypes are the types of renamed fields where the kernel that lacks
// the name cannot say (task_struct's state was a long before it became
// the unsigned int __state in 5.14).
var fieldTypes = map[string]string{"task_struct.state": "long", "task_struct.__state": "unsigned int"}

type renamedFix struct {
	other string
	fix   analysis.Fix
}

// renamedFieldFix is, for a field the kernel has under its other
// spelling (state and __state, i_atime and __i_atime), the fix that
// writes the portable idiom: a ___flavor struct for each spelling, and
// the read through bpf_core_field_exists, which works on kernels of
// either. It rewrites x->f and BPF_CORE_READ(x, f) at n.
func (c *checker) renamedFieldFix(t *kb.Type, name string, n *sitter.Node) (renamedFix, bool) {
	other := ""
	for _, o := range []string{"__" + name, strings.TrimPrefix(name, "__")} {
		if o == name {
			continue
		}
		if _, ok := c.k.Member(t, o); ok {
			other = o
			break
		}
	}
	if other == "" || t.Kind != "struct" {
		return renamedFix{}, false
	}
	out := renamedFix{other: other}
	// The expression read and what it reads from.
	var expr *sitter.Node
	var base string
	if p := n.Parent(); p != nil && p.Kind() == "field_expression" {
		op := p.ChildByFieldId(fieldOperator)
		arg := p.ChildByFieldId(fieldArgument)
		if op == nil || arg == nil || text(c.src, op) != "->" {
			return out, true
		}
		expr, base = p, text(c.src, arg)
	} else if p := n.Parent(); p != nil && p.Kind() == "argument_list" && p.NamedChildCount() == 2 {
		call := p.Parent()
		if call == nil || call.Kind() != "call_expression" {
			return out, true
		}
		if fn := call.ChildByFieldId(fieldFunction); fn == nil || text(c.src, fn) != "BPF_CORE_READ" {
			return out, true
		}
		expr, base = call, text(c.src, p.NamedChild(0))
	} else {
		return out, true
	}
	has, lacks := t.Name+"___"+flavorWord(other), t.Name+"___"+flavorWord(name)
	typeOf := func(field string) string {
		if ty, ok := fieldTypes[t.Name+"."+field]; ok {
			return ty
		}
		if m, ok := c.k.Member(t, other); ok && m.Type != "" {
			return m.Type
		}
		return "long"
	}
	var defs strings.Builder
	for _, d := range [][2]string{{has, other}, {lacks, name}} {
		if c.structs[d[0]] {
			continue
		}
		fmt.Fprintf(&defs, "struct %s {\n\t%s %s;\n} __attribute__((preserve_access_index));\n\n", d[0], typeOf(d[1]), d[1])
	}
	at := c.typesAt
	read := fmt.Sprintf("(bpf_core_field_exists(((struct %s *)(%s))->%s) ? BPF_CORE_READ((struct %s *)(%s), %s) : BPF_CORE_READ((struct %s *)(%s), %s))",
		has, base, other, has, base, other, lacks, base, name)
	fix := analysis.Fix{Title: fmt.Sprintf("Read %s portably: %s or %s, whichever the kernel has (___flavor structs and bpf_core_field_exists)", name, name, other)}
	if defs.Len() > 0 {
		fix.Edits = append(fix.Edits, analysis.Edit{Span: analysis.Span{Start: at, End: at}, NewText: defs.String()})
	}
	fix.Edits = append(fix.Edits, analysis.Edit{Span: span(expr), NewText: read})
	out.fix = fix
	return out, true
}

// flavorWord names the flavor of a spelling: "new" for the __ one the
// kernel renamed to, "old" for the plain one.
func flavorWord(field string) string {
	if strings.HasPrefix(field, "__") {
		return "new"
	}
	return "old"
}
