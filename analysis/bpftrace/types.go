package bpftrace

import (
	"fmt"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// A small type resolver for field chains: ((struct sock *)x)->__sk_common,
// curtask->real_parent->tgid, $t->mm where $t holds a struct pointer.
// Anything it cannot be sure of is unknown and never reported.

// ctype is a struct or union type and whether the value is a pointer to it.
type ctype struct {
	kind, name string // "struct", "task_struct"
	ptr        bool
	local      bool // defined in the script
}

// autoDerefSince is the release from which '.' also reaches fields
// through a pointer.
const autoDerefSince = "0.25"

// varTypes are the types of a probe's scratch variables; a variable
// assigned two different types is unknown (nil entry kept).
type varTypes map[string]*ctype

// typeOf resolves the struct type of an expression, or nil. Answers are
// kept until a variable's type changes: each link of a chain asks for the
// type of the links below it.
func (c *checker) typeOf(e Expr, vars varTypes) *ctype {
	if t, ok := c.types[e]; ok {
		return t
	}
	t := c.resolveType(e, vars)
	if c.types != nil {
		c.types[e] = t
	}
	return t
}

func (c *checker) resolveType(e Expr, vars varTypes) *ctype {
	switch x := Unparen(e).(type) {
	case *Cast:
		kind, name, _ := strings.Cut(x.Type, " ")
		if (kind != "struct" && kind != "union") || name == "" || x.Ptr > 1 {
			return nil
		}
		if _, local := c.file.Structs[name]; local {
			return &ctype{kind: kind, name: name, ptr: x.Ptr == 1, local: true}
		}
		if !c.btfTypes() {
			return nil
		}
		if _, ok := c.k.Type(kind, name); !ok {
			return nil
		}
		return &ctype{kind: kind, name: name, ptr: x.Ptr == 1}
	case *Ident:
		if x.Name == "curtask" && c.btfTypes() {
			if _, ok := c.k.Type("struct", "task_struct"); ok {
				return &ctype{kind: "struct", name: "task_struct", ptr: true}
			}
		}
	case *Var:
		return vars[x.Name]
	case *Unary:
		if x.Op == "*" {
			if t := c.typeOf(x.X, vars); t != nil && t.ptr {
				return &ctype{kind: t.kind, name: t.name, local: t.local}
			}
		}
	case *FieldAccess:
		base := c.typeOf(x.X, vars)
		if base == nil || base.local || base.ptr != x.Arrow && !kb.VersionAtLeast(c.version, autoDerefSince) {
			return nil
		}
		t, ok := c.k.Type(base.kind, base.name)
		if !ok {
			return nil
		}
		m, ok := c.k.Member(t, x.Name)
		if !ok || m.Ref == "" || strings.Count(m.Type, "*") > 1 || strings.Contains(m.Type, "[") {
			return nil
		}
		if _, ok := c.k.Type(m.RefKind, m.Ref); !ok {
			return nil
		}
		return &ctype{kind: m.RefKind, name: m.Ref, ptr: m.Pointer}
	}
	return nil
}

// btfTypes tells whether kernel types can be trusted to be the kb's: a kb
// is loaded and no header the script really includes may redefine them.
func (c *checker) btfTypes() bool {
	return c.k != nil && !c.hasIncludes()
}

// assignVar records the type a scratch variable is assigned.
func (c *checker) assignVar(name string, rhs Expr, vars varTypes) {
	t := c.typeOf(rhs, vars)
	prev, seen := vars[name]
	switch {
	case !seen:
		vars[name] = t
	case prev == nil && t == nil:
		return
	case prev == nil || t == nil || *prev != *t:
		vars[name] = nil
	default:
		return
	}
	if len(c.types) > 0 { // answers that read the variable may change
		c.types = map[Expr]*ctype{}
	}
}

// typedField checks one field access on a resolved struct type: the field
// exists, and '.' or '->' fits whether the value is a pointer.
func (c *checker) typedField(f *FieldAccess, vars varTypes) {
	base := c.typeOf(f.X, vars)
	if base == nil {
		return
	}
	what := base.kind + " " + base.name
	if base.ptr != f.Arrow && kb.VersionAtLeast(c.version, autoDerefSince) {
		// '.' dereferences pointers from 0.25 on; whether '->' on a
		// struct is refused there is not recorded: stay quiet.
		base = &ctype{kind: base.kind, name: base.name, ptr: f.Arrow, local: base.local}
	}
	if base.ptr && !f.Arrow || !base.ptr && f.Arrow {
		opSpan := analysis.Span{Start: f.X.NodeSpan().End, End: f.NameSpan.Start}
		if base.ptr {
			c.add(analysis.New(analysis.KG405, opSpan, fmt.Sprintf("%s is a pointer to %s: use -> to reach %s", c.text(f.X), what, f.Name)).
				WithFix("Replace . with ->", opSpan, "->"))
		} else {
			c.add(analysis.New(analysis.KG405, opSpan, fmt.Sprintf("%s is a %s, not a pointer: use . to reach %s", c.text(f.X), what, f.Name)).
				WithFix("Replace -> with .", opSpan, "."))
		}
		return
	}
	var fields []string
	if base.local {
		fields = c.file.StructFields[base.name]
		if fields == nil {
			return
		}
		for _, n := range fields {
			if n == f.Name {
				return
			}
		}
	} else {
		t, ok := c.k.Type(base.kind, base.name)
		if !ok {
			return
		}
		if _, ok := c.k.Member(t, f.Name); ok {
			return
		}
		fields = c.k.MemberNames(t)
	}
	fd := analysis.New(analysis.KG401, f.NameSpan, fmt.Sprintf("%s has no field %s", what, f.Name))
	if n := kb.Nearest(fields, f.Name, 1); len(n) > 0 {
		fd.Message += "; did you mean " + n[0]
		fd = fd.WithFix("Replace with "+n[0], f.NameSpan, n[0])
	}
	if base.local && len(fields) <= 12 {
		fd = fd.WithNote("its fields: " + strings.Join(fields, ", "))
	}
	c.add(fd)
}

// text is the source of a node, shortened for messages.
func (c *checker) text(n Node) string {
	sp := n.NodeSpan()
	if sp.Start < 0 || sp.End > len(c.src) || sp.Start > sp.End {
		return "the value"
	}
	s := c.src[sp.Start:sp.End]
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}
