package bpfc

import (
	"fmt"
	"path/filepath"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// Absence handled as real programs handle it. A libbpf object often
// carries several programs for one event, one per kernel generation (a
// kprobe on kmem_cache_alloc and one on kmem_cache_alloc_noprof, fentry
// on account_page_dirtied and a tracepoint on writeback_dirty_folio), and
// its loader disables those whose target the running kernel lacks
// (bpf_program__set_autoload) or retargets a placeholder
// (bpf_program__set_attach_target on SEC("kprobe/dummy_...")). A missing
// target in such a program is a warning that names what provides for
// it; a missing target no alternative covers stays an error.

// placeholderNames are targets no kernel has that loaders retarget.
var placeholderNames = map[string]bool{"foo": true, "bar": true, "baz": true, "dummy": true, "placeholder": true, "xxx": true, "stub": true}

// placeholder reports whether a missing target is a name the loader
// replaces before loading: dummy_*, placeholder_*, foo.
func placeholder(target string) bool {
	t := strings.ToLower(target)
	return placeholderNames[t] || strings.HasPrefix(t, "dummy_") || strings.HasPrefix(t, "placeholder_") || strings.HasSuffix(t, "_dummy")
}

// returnSide tells kretprobe and fexit programs (they run when the
// function returns) from the others: alternatives are on the same side.
func returnSide(p *Program) bool {
	return p.Def.Attach == kb.AttachFexit || strings.HasPrefix(p.Def.Prefix, "kretprobe")
}

// tracing reports whether a program attaches to a kernel event by name.
func tracing(p *Program) bool {
	switch p.Def.Attach {
	case kb.AttachKprobe, kb.AttachFentry, kb.AttachFexit, kb.AttachTracepoint, kb.AttachRawTP, kb.AttachTpBTF:
		return !strings.Contains(p.Def.Prefix, "syscall")
	}
	return false
}

// targetPresent says whether a program's attach target exists on the
// target kernel: Unknown when the kb cannot tell (or for kinds it does
// not look up).
func (c *checker) targetPresent(p *Program) kb.Tri {
	t := p.Target
	if c.k == nil || !p.Known || t == "" || strings.ContainsAny(t, "*?") {
		return kb.Unknown
	}
	switch p.Def.Attach {
	case kb.AttachKprobe:
		if i := strings.IndexByte(t, '+'); i >= 0 {
			t = t[:i]
		}
		_, present := c.k.KernelFunc(t)
		return present
	case kb.AttachFentry, kb.AttachFexit:
		if _, ok := c.k.Func(t); ok {
			return kb.Yes
		}
		_, present := c.k.KernelFunc(t)
		return present
	case kb.AttachTracepoint:
		cat, name, ok := strings.Cut(t, "/")
		if !ok || !c.k.TracepointsKnown() {
			return kb.Unknown
		}
		if _, ok := c.k.Tracepoint(cat, name); ok {
			return kb.Yes
		}
		return kb.No
	case kb.AttachRawTP, kb.AttachTpBTF:
		return c.k.RawTracepoint(t)
	}
	return kb.Unknown
}

// provideFor turns the finding for a program's missing target into a
// warning when the program provides for the absence: its target is a
// placeholder the loader replaces, or another program of the object with
// the same handler is its alternative and attaches on this kernel. With
// alternatives none of which attaches, the error says so.
func (c *checker) provideFor(p *Program, f analysis.Finding) analysis.Finding {
	if placeholder(p.Target) {
		f.Severity = analysis.Warning
		f.Message = fmt.Sprintf("%s: a placeholder no kernel has; the loader must retarget the program (bpf_program__set_attach_target) or disable it (bpf_program__set_autoload)", f.Message)
		return f
	}
	var lacking []string
	if loader, rt, ok := c.retarget(p); ok {
		for _, t := range rt.Targets {
			if _, present := c.k.KernelFunc(t); present == kb.Yes {
				f.Severity = analysis.Warning
				f.Message += fmt.Sprintf("; the program provides for it: its loader %s retargets it (bpf_program__set_attach_target), to %s on this kernel", loader, t)
				return f
			}
			lacking = append(lacking, t)
		}
		if len(rt.Targets) == 0 {
			f.Severity = analysis.Warning
			f.Message += fmt.Sprintf("; the program provides for it: its loader %s retargets it (bpf_program__set_attach_target)", loader)
			return f
		}
	}
	if len(lacking) > 0 {
		f = f.WithNote("the loader retargets it to " + strings.Join(lacking, ", ") + ", which this kernel lacks too")
	}
	var present, absent []string
	for _, q := range c.alternatives(p) {
		switch c.targetPresent(q) {
		case kb.Yes:
			present = append(present, q.Section.Name)
		case kb.No:
			absent = append(absent, q.Section.Name)
		}
	}
	switch {
	case len(present) > 0:
		f.Severity = analysis.Warning
		f.Message += fmt.Sprintf("; the object provides for it: SEC(%q) attaches instead (the loader disables what does not attach)", present[0])
		if len(present) > 1 {
			f = f.WithNote("other alternatives that attach: " + strings.Join(quoteAll(present[1:]), ", "))
		}
	case len(absent) > 0:
		f.Message += "; none of its alternatives in this object attaches either"
		f = f.WithNote("alternatives that do not attach on this kernel: " + strings.Join(quoteAll(absent), ", "))
	}
	return f
}

// alternatives are the programs of the object that stand in for p:
// directly, or through renames of one another (__page_cache_alloc,
// filemap_alloc_folio, filemap_alloc_folio_noprof), in file order. A
// handler shape is not followed further: the tracepoint that stands in
// for fentry on blk_account_io_start does not make every function with
// that handler an alternative.
func (c *checker) alternatives(p *Program) []*Program {
	progs := c.sum.Programs
	in := make([]bool, len(progs))
	queue := []*Program{p}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for i := range progs {
			q := &progs[i]
			if in[i] || q.Span == p.Span {
				continue
			}
			if cur == p && !c.alternative(cur, q) || cur != p && !(c.alternative(cur, q) && relatedNames(stripOffset(cur.Target), stripOffset(q.Target))) {
				continue
			}
			in[i] = true
			queue = append(queue, q)
		}
	}
	var out []*Program
	for i := range progs {
		if in[i] {
			out = append(out, &progs[i])
		}
	}
	return out
}

// retarget is what the program's loader (NAME.c beside NAME.bpf.c)
// does to its attach target, when it retargets it.
func (c *checker) retarget(p *Program) (string, kb.Retarget, bool) {
	base, ok := strings.CutSuffix(c.path, ".bpf.c")
	if !ok || base == "" || !tracing(p) || !functionKind(p) {
		return "", kb.Retarget{}, false
	}
	rts, err := kb.LoaderRetargets(base + ".c")
	if err != nil {
		return "", kb.Retarget{}, false
	}
	rt, ok := rts[p.Name]
	return filepath.Base(base + ".c"), rt, ok
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("SEC(%q)", s)
	}
	return out
}

// alternative reports whether q can stand in for p: both trace on the
// same side (entry or return), and either their targets are names of one
// kernel event across its renames (kmalloc and kmalloc_node, mutex_lock
// and mutex_lock_nested, migrate_misplaced_page and ..._folio), or one
// is a function and the other a tracepoint with the same handler (fentry
// on blk_account_io_start, tp_btf on block_io_start), each the other's
// nearest by name among those: two functions with one handler and
// unrelated names are two events the program counts alike
// (blk_account_io_start and blk_account_io_merge_bio), not alternatives.
func (c *checker) alternative(p, q *Program) bool {
	if !tracing(p) || !tracing(q) || returnSide(p) != returnSide(q) || q.Target == "" {
		return false
	}
	if relatedNames(stripOffset(p.Target), stripOffset(q.Target)) {
		return true
	}
	if functionKind(p) == functionKind(q) {
		return false
	}
	return c.nearestByHandler(p, q) && c.nearestByHandler(q, p)
}

// nearestByHandler reports whether q, with p's handler shape, is among
// the programs of the other kind (function or tracepoint) with that
// shape whose target shares the most words with p's.
func (c *checker) nearestByHandler(p, q *Program) bool {
	shape := c.handlerShape(p)
	if shape == "" || c.handlerShape(q) != shape {
		return false
	}
	pt := nameTokens(stripOffset(p.Target))
	shared := func(r *Program) int {
		n := 0
		for t := range nameTokens(stripOffset(r.Target)) {
			if pt[t] {
				n++
			}
		}
		return n
	}
	best := -1
	for i := range c.sum.Programs {
		r := &c.sum.Programs[i]
		if r.Span == p.Span || !tracing(r) || functionKind(r) == functionKind(p) || returnSide(r) != returnSide(p) || c.handlerShape(r) != shape {
			continue
		}
		best = max(best, shared(r))
	}
	return shared(q) == best
}

// functionKind tells programs on kernel functions (kprobe, fentry,
// fexit) from those on tracepoints.
func functionKind(p *Program) bool {
	switch p.Def.Attach {
	case kb.AttachKprobe, kb.AttachFentry, kb.AttachFexit:
		return true
	}
	return false
}

func stripOffset(t string) string {
	if i := strings.IndexByte(t, '+'); i >= 0 {
		return t[:i]
	}
	if _, name, ok := strings.Cut(t, "/"); ok {
		return name
	}
	return t
}

// nameTokens are a kernel name's words, with the kernel's renames
// folded: folio is page, a trailing digit is dropped (sync_file_range2).
func nameTokens(s string) map[string]bool {
	out := map[string]bool{}
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == '_' }) {
		if len(t) > 1 {
			t = strings.TrimRight(t, "0123456789")
		}
		if t == "folio" {
			t = "page"
		}
		if t != "" {
			out[t] = true
		}
	}
	return out
}

// relatedNames reports whether a and b name one kernel event across its
// renames: the words of one contain the other's, and differ by at most
// two (kmalloc_node, __blk_account_io_start, arm_sync_file_range,
// kmem_cache_alloc_noprof, folio for page).
func relatedNames(a, b string) bool {
	if kb.Renamed(a, b) {
		return true
	}
	ta, tb := nameTokens(a), nameTokens(b)
	if len(ta) == 0 || len(tb) == 0 {
		return false
	}
	if len(ta) > len(tb) {
		ta, tb = tb, ta
	}
	for t := range ta {
		if !tb[t] {
			return false
		}
	}
	return len(tb)-len(ta) <= 2
}

// handlerShape is what a program's body does, for telling alternatives:
// the functions it calls other than helpers and compiler builtins, in
// order (biotop's three start handlers all call trace_start), or, when
// it calls none, its text without blanks. "" when the body is not found.
func (c *checker) handlerShape(p *Program) string {
	if c.shapes == nil {
		c.shapes = map[int]string{}
	}
	if s, ok := c.shapes[p.Span.Start]; ok {
		return s
	}
	shape := ""
	if n := c.functionAt(p.Span.Start); n != nil {
		if body := n.ChildByFieldId(fieldBody); body != nil {
			var calls []string
			preorder(body, func(x *sitter.Node) bool {
				if x.Kind() == "call_expression" {
					if fn := x.ChildByFieldId(fieldFunction); fn != nil && fn.Kind() == "identifier" {
						name := text(c.src, fn)
						if !strings.HasPrefix(name, "bpf_") && !strings.HasPrefix(name, "__sync_") && !strings.HasPrefix(name, "__builtin_") && !strings.HasPrefix(name, "__atomic_") && !coreReadMacros[name] && !coreReadIntoMacros[name] {
							calls = append(calls, name)
						}
					}
				}
				return true
			}, func() bool { return len(calls) < 64 })
			if len(calls) > 0 {
				shape = "calls:" + strings.Join(calls, ",")
			} else {
				shape = "text:" + strings.Join(strings.Fields(text(c.src, body)), "")
			}
		}
	}
	c.shapes[p.Span.Start] = shape
	return shape
}

// functionAt is the function definition that starts at off.
func (c *checker) functionAt(off int) *sitter.Node {
	n := c.nodeAt(off)
	for up := 0; n != nil && up < 8; up++ {
		if n.KindId() == kindFunctionDefinition && int(n.StartByte()) == off {
			return n
		}
		n = n.Parent()
	}
	return nil
}
