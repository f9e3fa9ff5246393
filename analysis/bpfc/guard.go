package bpfc

import (
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// Guards: CO-RE programs test what the running kernel has before they
// use it, and libbpf resolves the tests at load time:
//
//	if (bpf_core_field_exists(t->__state)) ... t->__state ...
//	if (!bpf_ksym_exists(bpf_task_from_pid)) return 0; ... bpf_task_from_pid(...)
//	if (LINUX_KERNEL_VERSION >= KERNEL_VERSION(5, 14, 0)) ... else ...
//
// A field, type, helper or kfunc the target kernel lacks, used where such
// a test keeps it from running there, is a warning, not an error.

// existsTests are libbpf's load-time tests of what the kernel has.
var existsTests = map[string]bool{"bpf_core_field_exists": true, "bpf_core_type_exists": true, "bpf_core_enum_value_exists": true,
	"bpf_ksym_exists": true, "bpf_core_type_matches": true}

// guard is what a condition tests.
type guard struct {
	names   map[string]bool // the names existence tests name
	version bool            // a kernel version or kconfig test: any name
	any     bool            // some existence test (the names may not be known)
	// ksym: a test of the kernel's kfuncs or helpers (bpf_ksym_exists,
	// bpf_core_enum_value_exists of enum bpf_func_id): it provides for
	// the kfuncs used with the one it names (bpf_task_release beside
	// bpf_task_from_pid).
	ksym bool
}

// anyKfunc, among the names a use asks a guard about, is any kfunc or
// helper the program calls under a test of the kernel's kfuncs.
const anyKfunc = "\x00kfunc"

func (g guard) empty() bool { return !g.version && !g.any }

// covers reports whether the tests name one of names (or test the kernel
// version, which provides for anything).
func (g guard) covers(names []string) bool {
	if g.version {
		return true
	}
	for _, n := range names {
		if n == anyKfunc && g.ksym {
			return true
		}
		if g.names[n] {
			return true
		}
	}
	return false
}

// guardOf reads a condition: its existence tests (negated when neg) and
// version tests. A call of a function of the file or its headers whose
// body tests existence (has_kmem_alloc_node()) counts as a test of what
// it tests, or of anything when its body is not in the file.
func (c *checker) guardOf(cond *sitter.Node) (pos, neg guard) {
	pos.names, neg.names = map[string]bool{}, map[string]bool{}
	preorder(cond, func(x *sitter.Node) bool {
		switch x.Kind() {
		case "call_expression":
			fn := x.ChildByFieldId(fieldFunction)
			if fn == nil || fn.Kind() != "identifier" {
				return true
			}
			name := text(c.src, fn)
			g := &pos
			if negated(c.src, x) {
				g = &neg
			}
			switch {
			case existsTests[name]:
				g.any = true
				if args := x.ChildByFieldId(fieldArguments); args != nil {
					for _, w := range identifiers(text(c.src, args)) {
						g.names[w] = true
						g.ksym = g.ksym || name == "bpf_ksym_exists" || w == "bpf_func_id"
					}
				}
				return false
			case c.guardFuncs()[name] != nil:
				g.any = true
				for w := range c.guardFuncs()[name] {
					g.names[w] = true
				}
				return false
			case c.headerGuard(name):
				g.any, g.version = true, true
				return false
			}
		case "identifier":
			if n := text(c.src, x); n == "LINUX_KERNEL_VERSION" || strings.HasPrefix(n, "LINUX_HAS_") || c.kconfig[n] {
				pos.version, neg.version = true, true
			}
		}
		return true
	}, func() bool { return true })
	return pos, neg
}

// negated reports whether a call is the operand of a logical not, through
// parentheses.
func negated(src string, n *sitter.Node) bool {
	neg := false
	p := n.Parent()
	for up := 0; p != nil && up < 16; up, p = up+1, p.Parent() {
		switch p.Kind() {
		case "parenthesized_expression":
			continue
		case "unary_expression":
			if op := p.ChildByFieldId(fieldOperator); op != nil && text(src, op) == "!" {
				neg = !neg
				continue
			}
		}
		break
	}
	return neg
}

// identifiers are the C words of s.
func identifiers(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
}

// providedFor says how the program keeps the use at n of one of names
// from running on a kernel that lacks it, or "" when it does not: an
// existence test naming it around n (or an early return when it is
// missing before n), a version test, or n in the fallback branch of an
// existence test (the else, or after `if (test) return`).
func (c *checker) providedFor(n *sitter.Node, names ...string) string {
	path := c.pathTo(n)
	for i := len(path) - 1; i >= 0; i-- {
		p, child := &path[i].node, &path[i].child
		switch p.KindId() {
		case kindIf, kindConditional:
			cond := p.ChildByFieldId(fieldCondition)
			if cond == nil || cond.Equals(*child) {
				continue
			}
			pos, neg := c.guardOf(cond)
			inThen := false
			if cons := p.ChildByFieldId(fieldConsequence); cons != nil && cons.Equals(*child) {
				inThen = true
			}
			switch {
			case inThen && pos.version:
				return "the use is inside a test of the kernel's version or configuration"
			case inThen && pos.covers(names):
				return "the use is inside a test that the kernel has it"
			case !inThen && neg.covers(names):
				return "the use is in the branch where the kernel has it"
			case !inThen && !pos.empty():
				return "the use is the fallback of a test of the kernel (the else branch)"
			case inThen && !neg.empty() && !neg.covers(names):
				return "the use is the fallback of a test of the kernel"
			}
		case kindCompound:
			if why := c.earlyReturn(p, child, names); why != "" {
				return why
			}
		}
	}
	return ""
}

// pathStep is an if statement, conditional expression or block a node
// is in, with its child on the way to the node.
type pathStep struct{ node, child sitter.Node }

// pathTo lists the steps from the node's function down to n, found from
// the root with a cursor: Node.Parent walks down from the root on every
// call, which costs the square of the depth on the deep expressions
// TestDeepExpressions checks.
func (c *checker) pathTo(n *sitter.Node) []pathStep {
	var root *sitter.Node
	for _, r := range c.roots {
		if r.StartByte() <= n.StartByte() && n.EndByte() <= r.EndByte() {
			root = r
		}
	}
	if root == nil {
		return nil
	}
	start, end := n.StartByte(), n.EndByte()
	cur := root.Walk()
	defer cur.Close()
	var out []pathStep
	for {
		node := *cur.Node()
		if node.Id() == n.Id() {
			return out
		}
		if cur.GotoFirstChildForByte(uint32(start)) == nil {
			return nil
		}
		for {
			ch := cur.Node()
			if ch.StartByte() <= start && ch.EndByte() >= end {
				break
			}
			if !cur.GotoNextSibling() {
				return nil
			}
		}
		switch node.KindId() {
		case kindFunctionDefinition:
			out = out[:0]
		case kindIf, kindConditional, kindCompound:
			out = append(out, pathStep{node: node, child: *cur.Node()})
		}
	}
}

// earlyReturn looks at the statements of block before child for `if
// (test) return;`: a negated test of one of names guards what follows,
// and a positive existence test makes what follows its fallback.
func (c *checker) earlyReturn(block, child *sitter.Node, names []string) string {
	cur := block.Walk()
	defer cur.Close()
	for _, s := range block.NamedChildren(cur) {
		if s.StartByte() >= child.StartByte() {
			break
		}
		if s.KindId() != kindIf || s.ChildByFieldId(fieldAlternative) != nil {
			continue
		}
		cons := s.ChildByFieldId(fieldConsequence)
		cond := s.ChildByFieldId(fieldCondition)
		if cons == nil || cond == nil || !exits(cons) {
			continue
		}
		pos, neg := c.guardOf(cond)
		switch {
		case neg.covers(names):
			return "an earlier return leaves when the kernel lacks it"
		case !pos.empty():
			return "the use is the fallback after a test of the kernel returns"
		}
	}
	return ""
}

// exits reports whether a statement always leaves the block: return,
// goto, break, continue, or a block ending in one.
func exits(s *sitter.Node) bool {
	for s != nil {
		switch s.Kind() {
		case "return_statement", "goto_statement", "break_statement", "continue_statement":
			return true
		case "compound_statement":
			var last *sitter.Node
			for i := s.NamedChildCount(); i > 0; i-- {
				if x := s.NamedChild(i - 1); x.KindId() != kindComment {
					last = x
					break
				}
			}
			s = last
		default:
			return false
		}
	}
	return false
}

// guardFuncs are the file's functions whose body tests existence, with
// the names they test (static bool has_x(void) { return
// bpf_core_type_exists(struct x); }); findGuards reads them before the
// walk.
func (c *checker) guardFuncs() map[string]map[string]bool { return c.guards }

// findGuards reads the file's guard functions and the kconfig values it
// declares (extern ... __kconfig).
func (c *checker) findGuards(tops []sitter.Node) {
	c.guards = map[string]map[string]bool{}
	c.kconfig = map[string]bool{}
	for i := range tops {
		n := &tops[i]
		if n.Kind() == "declaration" && strings.Contains(text(c.src, n), "__kconfig") {
			if id := declaredName(n); id != nil {
				c.kconfig[text(c.src, id)] = true
			}
		}
	}
	{
		for i := range tops {
			n := &tops[i]
			if n.KindId() != kindFunctionDefinition {
				continue
			}
			id, _ := funcName(n)
			body := n.ChildByFieldId(fieldBody)
			if id == nil || body == nil || !strings.Contains(text(c.src, body), "_exists") {
				continue // most bodies test nothing: not walked
			}
			var tested map[string]bool
			preorder(body, func(x *sitter.Node) bool {
				if x.Kind() != "call_expression" {
					return true
				}
				if fn := x.ChildByFieldId(fieldFunction); fn != nil && existsTests[text(c.src, fn)] {
					if tested == nil {
						tested = map[string]bool{}
					}
					if args := x.ChildByFieldId(fieldArguments); args != nil {
						for _, w := range identifiers(text(c.src, args)) {
							tested[w] = true
						}
					}
					return false
				}
				return true
			}, func() bool { return true })
			if tested != nil {
				c.guards[text(c.src, id)] = tested
			}
		}
	}
}

// headerGuard reports whether name is a function of an included header
// whose body tests existence (core_fixes.bpf.h's has_kfree()); what it
// tests is not read.
func (c *checker) headerGuard(name string) bool {
	if c.k == nil {
		return false
	}
	for _, p := range c.incRead {
		if gs, err := c.k.FileGuards(p); err == nil && gs[name] {
			return true
		}
	}
	return false
}
