package bpfc

import (
	"fmt"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// A struct the program names but the target kernel's BTF lacks is not in
// the vmlinux.h made from that BTF. clang then accepts a pointer to it
// (an incomplete type, with a -Wvisibility warning in a parameter list)
// but refuses what needs its definition: a field read through it, a
// variable of it, its size, and a program macro's parameter of it (the
// BPF_PROG family declares the inner function twice, and the two
// declarations each make their own incomplete struct, so they conflict).
// Tracepoint context structs are the usual case: trace_event_raw_<class>
// is named for the event's class, which differs between kernels
// (kmem:kmalloc's is kmem_alloc before 6.0).

// kernelTypeMissing reports whether name is a struct or union the program
// expects from vmlinux.h that the target kernel's BTF does not have.
func (c *checker) kernelTypeMissing(name string) bool {
	if c.k == nil || !c.vmlinux || c.k.NumTypes() == 0 || name == "" || c.structs[name] {
		return false
	}
	if _, ok := c.k.Resolve(name); ok {
		return false
	}
	return !c.tagInIncludes(name)
}

// tagInIncludes reports whether a header the file includes with quotes
// defines struct or union name, or may: one not found or not read, or
// one that includes further headers with quotes.
func (c *checker) tagInIncludes(name string) bool {
	if c.incMaybe {
		return true
	}
	for _, p := range c.incRead {
		tags, nested, err := c.k.FileTags(p)
		if err != nil || nested || tags[name] {
			return true
		}
	}
	return false
}

// missingType is the finding for struct name at sp, which the program
// uses as use says; prog, when set, is the program whose context it may
// be (its tracepoint's context struct on this kernel is the fix).
func (c *checker) missingType(kind, name string, sp analysis.Span, use string, prog *Program) analysis.Finding {
	f := analysis.New(analysis.KG403, sp, fmt.Sprintf("%s %s is not in the target kernel's BTF, so vmlinux.h does not define it: %s", kind, name, use))
	fixed := false
	if prog != nil && prog.Known && prog.Def.Attach == kb.AttachTracepoint {
		if cat, event, ok := strings.Cut(prog.Target, "/"); ok {
			if tp, ok := c.k.Tracepoint(cat, event); ok && tp.Struct != "" && tp.Struct != name {
				f.Message += fmt.Sprintf("; this kernel's context struct for %s:%s is %s", cat, event, tp.Struct)
				f = f.WithFix("Replace with "+tp.Struct+" (this kernel only)", sp, tp.Struct)
				fixed = true
			}
		}
	}
	if !fixed {
		if near := c.k.Nearest(kb.FamilyType, name, 1); len(near) > 0 && near[0] != name {
			f.Message += "; did you mean " + near[0]
		}
	}
	if on := c.othersWith(func(k *kb.KB) bool { _, ok := k.Resolve(name); return ok }); len(on) > 0 {
		f = f.WithNote(fmt.Sprintf("%s %s is on %s", kind, name, strings.Join(on, ", ")))
	}
	return f
}

// structName is the struct or union a declaration's type names, and the
// span of its name ("" when the type is something else).
func (c *checker) structName(decl *sitter.Node) (kind, name string, sp analysis.Span) {
	t := decl.ChildByFieldId(fieldType)
	if t == nil || (t.Kind() != "struct_specifier" && t.Kind() != "union_specifier") {
		return "", "", analysis.Span{}
	}
	n := t.ChildByFieldId(fieldName)
	if n == nil || t.ChildByFieldId(fieldBody) != nil {
		return "", "", analysis.Span{}
	}
	return strings.TrimSuffix(t.Kind(), "_specifier"), text(c.src, n), span(n)
}

// macroParamTypes checks a BPF_PROG-style program's parameters.
func (c *checker) macroParamTypes(p *Program) {
	if p.Macro == "" || c.tracepointMissing(p) {
		return
	}
	for _, param := range p.Params {
		kind, name, sp := c.structName(param)
		if name == "" || !c.kernelTypeMissing(name) {
			continue
		}
		c.typeReported[sp.Start] = true
		c.add(c.missingType(kind, name, sp, fmt.Sprintf("%s declares the function with its parameters twice, and each declaration makes its own incomplete %s %s, so clang reports conflicting types", p.Macro, kind, name), p))
	}
}

// useOfMissingType reports a use of a variable whose struct the kernel
// lacks (once per declaration and function): n is the use, what says
// what it needs.
func (c *checker) useOfMissingType(vt varType, n *sitter.Node, what string, prog *Program) {
	if vt.flavor != "" || !c.kernelTypeMissing(vt.ref) || c.inExistsTest(n) || c.tracepointMissing(prog) {
		return
	}
	sp := vt.decl
	if sp == (analysis.Span{}) {
		sp = span(n)
	}
	if c.typeReported[sp.Start] || c.funcReported[sp.Start] {
		return
	}
	c.funcReported[sp.Start] = true
	kind := "struct"
	if strings.HasPrefix(strings.TrimSpace(c.src[max(0, sp.Start-6):sp.Start]), "union") {
		kind = "union"
	}
	f := c.missingType(kind, vt.ref, sp, what+" needs its definition", prog)
	if use := span(n); use != sp {
		f.Related = append(f.Related, analysis.Related{Span: use, Message: what + " here"})
	}
	c.add(f)
}

// tracepointMissing reports whether p attaches to a tracepoint this
// kernel lacks: KG304 says so, and its context struct's absence follows.
func (c *checker) tracepointMissing(p *Program) bool {
	if p == nil || !p.Known || p.Def.Attach != kb.AttachTracepoint || !c.k.TracepointsKnown() {
		return false
	}
	cat, event, ok := strings.Cut(p.Target, "/")
	if !ok || strings.ContainsAny(p.Target, "*?") {
		return false
	}
	_, ok = c.k.Tracepoint(cat, event)
	return !ok
}
