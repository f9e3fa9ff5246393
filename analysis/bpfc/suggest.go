package bpfc

import (
	"fmt"
	"regexp"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// What a fix for a wrong name writes: the name that fits the use (its
// prototype or type before its spelling, kb.NearestFitting), every use
// of a renamed declaration, and the field a record or struct has under
// another form (a syscall's argument in args[], a __data_loc string, a
// member of an embedded struct the kernel's headers reach by a macro).

var spaceRe = regexp.MustCompile(`\s+`)

// normType spells a C type one way: single spaces, none before '*'.
func normType(t string) string {
	t = spaceRe.ReplaceAllString(strings.TrimSpace(t), " ")
	t = strings.ReplaceAll(t, " *", "*")
	t = strings.TrimPrefix(t, "const ")
	return t
}

// paramTypes lists a declaration's parameter types (without names).
func (c *checker) paramTypes(params *sitter.Node) []string {
	var out []string
	if params == nil {
		return nil
	}
	for i := uint(0); i < params.NamedChildCount(); i++ {
		p := params.NamedChild(i)
		if p.Kind() != "parameter_declaration" {
			continue
		}
		t := p.ChildByFieldId(fieldType)
		if t == nil || strings.TrimSpace(text(c.src, p)) == "void" {
			continue
		}
		typ := text(c.src, t)
		if d := p.ChildByFieldId(fieldDeclarator); d != nil {
			for d != nil && d.Kind() == "pointer_declarator" {
				typ += " *"
				d = d.ChildByFieldId(fieldDeclarator)
			}
		}
		out = append(out, normType(typ))
	}
	return out
}

// renameAll is a fix replacing every use of name in the program's code
// (the declaration and the calls) with to.
func (c *checker) renameAll(name, to string) analysis.Fix {
	fx := analysis.Fix{Title: "Replace with " + to}
	re := regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`)
	for _, m := range re.FindAllStringIndex(c.src, -1) {
		if c.code(m[0]) {
			fx.Edits = append(fx.Edits, analysis.Edit{Span: analysis.Span{Start: m[0], End: m[1]}, NewText: to})
		}
	}
	return fx
}

// licenseFix makes a non-GPL license dual-licensed with the GPL, which
// the kernel accepts for GPL-only helpers.
func (c *checker) licenseFix() (analysis.Fix, bool) {
	if !c.sum.licenseRead || c.sum.LicenseSpan == (analysis.Span{}) {
		return analysis.Fix{}, false
	}
	decl := c.src[c.sum.LicenseSpan.Start:c.sum.LicenseSpan.End]
	q := `"` + c.sum.License + `"`
	i := strings.Index(decl, q)
	if i < 0 {
		return analysis.Fix{}, false
	}
	to := "GPL"
	switch strings.ToUpper(c.sum.License) {
	case "MIT", "BSD", "MPL":
		to = "Dual " + strings.ToUpper(c.sum.License) + "/GPL"
	}
	sp := analysis.Span{Start: c.sum.LicenseSpan.Start + i, End: c.sum.LicenseSpan.Start + i + len(q)}
	return analysis.Fix{Title: fmt.Sprintf("License the program %q (GPL-compatible)", to), Edits: []analysis.Edit{{Span: sp, NewText: `"` + to + `"`}}}, true
}

// memberFits is what a member suggested for a misspelled one must be:
// a struct (or a pointer to one) where the access goes on through it.
func (c *checker) memberFits(t *kb.Type, n *sitter.Node) func(string) bool {
	through := false
	if p := n.Parent(); p != nil {
		switch p.Kind() {
		case "field_expression":
			if gp := p.Parent(); gp != nil && gp.KindId() == kindFieldExpression {
				if a := gp.ChildByFieldId(fieldArgument); a != nil && a.Equals(*p) {
					through = true
				}
			}
		case "argument_list":
			// BPF_CORE_READ(x, f, g): f is not the last.
			through = n.NextNamedSibling() != nil
		}
	}
	if !through {
		return nil
	}
	return func(name string) bool {
		m, ok := c.k.Member(t, name)
		return ok && m.Ref != ""
	}
}

// fieldElsewhere finds a field the struct has under another form:
// a syscall's argument by name in the generic sys_enter record
// (args[N]); a __data_loc string field (its offset in the record); a
// member of an embedded struct that the kernel's headers name with a
// macro (sk->sk_dport is __sk_common.skc_dport).
func (c *checker) fieldElsewhere(t *kb.Type, name string, n *sitter.Node) (analysis.Fix, bool) {
	sp := span(n)
	if i := strings.Index(c.src[sp.Start:sp.End], name); i >= 0 {
		sp = analysis.Span{Start: sp.Start + i, End: sp.Start + i + len(name)}
	}
	if t.Name == "trace_event_raw_sys_enter" {
		if p := c.programAt(sp.Start); p != nil && strings.HasPrefix(p.Target, "syscalls/sys_enter_") {
			if tp, ok := c.k.Tracepoint("syscalls", strings.TrimPrefix(p.Target, "syscalls/")); ok {
				idx := 0
				for _, f := range tp.Fields {
					if f.Name == "__syscall_nr" {
						continue
					}
					if f.Name == name {
						to := fmt.Sprintf("args[%d]", idx)
						return analysis.Fix{Title: fmt.Sprintf("%s is the syscall's argument %s: read it there", name, to), Edits: []analysis.Edit{{Span: sp, NewText: to}}}, true
					}
					idx++
				}
			}
		}
	}
	if m, ok := c.k.Member(t, "__data_loc_"+name); ok && m.Name != "" {
		// ctx->name -> (void *)ctx + (ctx->__data_loc_name & 0xFFFF)
		if p := n.Parent(); p != nil && p.KindId() == kindFieldExpression {
			if arg := p.ChildByFieldId(fieldArgument); arg != nil && arg.KindId() == kindIdentifier {
				if op := p.ChildByFieldId(fieldOperator); op != nil && text(c.src, op) == "->" {
					a := text(c.src, arg)
					to := fmt.Sprintf("((void *)%s + (%s->__data_loc_%s & 0xFFFF))", a, a, name)
					return analysis.Fix{Title: fmt.Sprintf("%s is a __data_loc field: its low 16 bits are the string's offset in the record", name), Edits: []analysis.Edit{{Span: span(p), NewText: to}}}, true
				}
			}
		}
	}
	// A member of an embedded struct ending in the name's last word:
	// sk_dport -> __sk_common.skc_dport.
	if _, word, ok := strings.Cut(name, "_"); ok && word != "" {
		for _, m := range t.Members {
			if m.Ref == "" || m.Pointer || m.Name == "" {
				continue
			}
			et, ok := c.k.Resolve(m.Ref)
			if !ok {
				continue
			}
			for _, emName := range c.memberNamesDeep(et, 3) {
				if strings.HasSuffix(emName, "_"+word) && emName[0] == name[0] {
					to := m.Name + "." + emName
					return analysis.Fix{Title: fmt.Sprintf("%s is a macro of the kernel's headers for %s, which vmlinux.h does not have: read %s", name, to, to), Edits: []analysis.Edit{{Span: sp, NewText: to}}}, true
				}
			}
		}
	}
	return analysis.Fix{}, false
}

// memberNamesDeep lists a struct's member names, those of its anonymous
// members included (to depth levels).
func (c *checker) memberNamesDeep(t *kb.Type, depth int) []string {
	var out []string
	for _, m := range t.Members {
		if m.Name != "" {
			out = append(out, m.Name)
			continue
		}
		if depth > 0 && m.Ref != "" {
			if at, ok := c.k.Resolve(m.Ref); ok {
				out = append(out, c.memberNamesDeep(at, depth-1)...)
			}
		}
	}
	return out
}
