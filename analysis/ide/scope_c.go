package ide

import (
	"runtime"
	"strings"
	"sync"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/bpfc"
)

// The C index is read from the tree the checks parse (bpfc.Parse), in
// one cursor walk: the tree of an expression can be millions of levels
// deep, so the walk is a loop with its own stack, not a recursion.
//
// Scopes follow C: the file (hoisted, so a function may be used above
// its definition), a function's parameters and the top level of its body
// (one scope, as in C), every other compound statement, a for loop's
// declarations, and a prototype's parameters. Struct fields
// (field_identifier nodes, and the field arguments of BPF_CORE_READ and
// its kin) are not names of this index; nor are types and struct tags.
// Macro bodies are text to tree-sitter: the names in them are read
// lexically and count as uses at file scope.

// cIDs are the kind and field ids of the C grammar the walk compares.
var cIDs struct {
	once sync.Once
	// kinds
	identifier, typeIdentifier, declaration, parameterDeclaration, functionDefinition,
	initDeclarator, pointerDeclarator, arrayDeclarator, functionDeclarator, parenDeclarator,
	attributedDeclarator, parameterList, compound, forStatement, preprocDef, preprocFunctionDef,
	preprocParams, preprocArg, enumerator, argumentList, callExpression, stringLiteral,
	concatenatedString, charLiteral, comment, systemLibString, numberLiteral uint16
	// fields
	fDeclarator, fName, fFunction, fType, fValue, fParameters uint16
	// leaf: kinds that never have children (anonymous tokens): the walk
	// does not ask the cursor for them.
	leaf []bool
}

func initCIDs(lang *sitter.Language) {
	cIDs.once.Do(func() {
		k := func(s string) uint16 { return lang.IdForNodeKind(s, true) }
		c := &cIDs
		c.identifier, c.typeIdentifier = k("identifier"), k("type_identifier")
		c.declaration, c.parameterDeclaration, c.functionDefinition = k("declaration"), k("parameter_declaration"), k("function_definition")
		c.initDeclarator, c.pointerDeclarator, c.arrayDeclarator = k("init_declarator"), k("pointer_declarator"), k("array_declarator")
		c.functionDeclarator, c.parenDeclarator, c.attributedDeclarator = k("function_declarator"), k("parenthesized_declarator"), k("attributed_declarator")
		c.parameterList, c.compound, c.forStatement = k("parameter_list"), k("compound_statement"), k("for_statement")
		c.preprocDef, c.preprocFunctionDef, c.preprocParams, c.preprocArg = k("preproc_def"), k("preproc_function_def"), k("preproc_params"), k("preproc_arg")
		c.enumerator, c.argumentList, c.callExpression = k("enumerator"), k("argument_list"), k("call_expression")
		c.stringLiteral, c.concatenatedString, c.charLiteral = k("string_literal"), k("concatenated_string"), k("char_literal")
		c.comment, c.systemLibString, c.numberLiteral = k("comment"), k("system_lib_string"), k("number_literal")
		c.fDeclarator, c.fName, c.fFunction = lang.FieldIdForName("declarator"), lang.FieldIdForName("name"), lang.FieldIdForName("function")
		c.fType, c.fValue, c.fParameters = lang.FieldIdForName("type"), lang.FieldIdForName("value"), lang.FieldIdForName("parameters")
		c.leaf = make([]bool, lang.NodeKindCount())
		for id := range c.leaf {
			c.leaf[id] = !lang.NodeKindIsNamed(uint16(id))
		}
	})
}

// cFrame is a node on the walk's path from the top-level item.
type cFrame struct {
	kind uint16
	// owner is the frame of the declaration, parameter or function
	// definition whose declarator chain this node is on, or -1.
	owner int
	// declScope is, for a declaration-like node, the scope its names are
	// declared in.
	declScope int
	// pops is how many scopes to close when the node is left.
	pops int
	// funcScope: a function definition's scope is open (parameters and
	// body).
	funcScope bool
	// progMacro: a function definition written BPF_PROG(name, ...).
	progMacro bool
	// progParams: a parameter list of a BPF_PROG-style definition, whose
	// first parameter is the function's name; progName marks that one.
	progParams, progName bool
	// callee is the name a call_expression calls.
	callee string
	// args counts an argument list's arguments; fieldsFrom is the first
	// that names a field (BPF_CORE_READ), -1 for none.
	args, fieldsFrom int
}

type cBuilder struct {
	x      *index
	src    string
	frames []cFrame
	scopes []int // open scopes, innermost last
	// skipBody: the item being read is a function whose body does not
	// matter to the query (see buildC).
	skipBody bool
}

func (b *cBuilder) cur() int { return b.scopes[len(b.scopes)-1] }

func (b *cBuilder) push(hoisted bool) {
	b.scopes = append(b.scopes, b.x.newScope(b.cur(), hoisted))
}

// buildC indexes src. With focus >= 0 the index is partial: it reads
// the bodies of top-level functions only for the item around focus, which
// is all a query about a name there needs unless the name is declared at
// file scope (or nowhere) and its references are asked for. Function
// bodies are most of a file's nodes, and every node read is a few calls
// into tree-sitter; for the same reason a large file's items are read by
// a few workers at once, each into an index of its own, merged in text
// order (uses are resolved only once everything is declared).
func buildC(src string, focus int) *index {
	x := newIndex(analysis.DialectC, src)
	x.newScope(-1, true) // the file
	x.partial = focus >= 0
	bpfc.Parse(src, func(syn bpfc.Syntax) {
		initCIDs(syn.Lang)
		n := len(syn.Tops)
		workers := max(1, min(cWorkers(len(src)), n))
		parts := make([]*index, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				y := newIndex(analysis.DialectC, src)
				y.newScope(-1, true)
				b := &cBuilder{x: y, src: src, scopes: []int{0}}
				for i := w * n / workers; i < (w+1)*n/workers; i++ {
					top := &syn.Tops[i]
					b.skipBody = false
					if focus >= 0 {
						if s, e := int(top.StartByte()), int(top.EndByte()); s <= focus && focus <= e {
							y.focus = analysis.Span{Start: s, End: e}
						} else {
							b.skipBody = true
						}
					}
					b.walk(top)
				}
				parts[w] = y
			}()
		}
		wg.Wait()
		for _, y := range parts {
			x.merge(y)
		}
		// Names in map fields (__uint(max_entries, MAX)) were blanked
		// before the parse.
		b := &cBuilder{x: x, src: src, scopes: []int{0}}
		for _, f := range syn.Fields {
			if f.Macro != "__uint" && f.Macro != "__ulong" {
				continue
			}
			body := src[f.Span.Start:f.Span.End]
			comma := strings.IndexByte(body, ',')
			if comma < 0 {
				continue
			}
			b.lexUses(f.Span.Start+comma+1, f.Span.End, nil, false)
		}
	})
	x.resolve(nil)
	return x
}

// cWorkers is how many workers read a text of n bytes (tests change
// it): one per 8 KB, up to four and the number of CPUs.
var cWorkers = func(n int) int { return min(runtime.GOMAXPROCS(0), 4, n/(8<<10)) }

// walk reads one top-level item.
func (b *cBuilder) walk(top *sitter.Node) {
	cur := top.Walk()
	defer cur.Close()
	b.frames = b.frames[:0]
	descend := b.enter(cur.Node(), cur)
	for {
		if descend && cur.GotoFirstChild() {
			descend = b.enter(cur.Node(), cur)
			continue
		}
		for {
			b.leave()
			if len(b.frames) == 0 {
				return
			}
			if cur.GotoNextSibling() {
				descend = b.enter(cur.Node(), cur)
				break
			}
			cur.GotoParent()
		}
	}
}

func (b *cBuilder) leave() {
	f := b.frames[len(b.frames)-1]
	b.scopes = b.scopes[:len(b.scopes)-f.pops]
	b.frames = b.frames[:len(b.frames)-1]
}

func (b *cBuilder) isDeclarator(k uint16) bool {
	c := &cIDs
	switch k {
	case c.initDeclarator, c.pointerDeclarator, c.arrayDeclarator, c.functionDeclarator, c.parenDeclarator, c.attributedDeclarator:
		return true
	}
	return false
}

// fieldParents are the kinds whose children's field ids the walk reads
// (asking the cursor for every node's field is a tenth of the walk).
func (b *cBuilder) fieldParent(k uint16) bool {
	c := &cIDs
	switch k {
	case c.declaration, c.parameterDeclaration, c.functionDefinition, c.preprocDef, c.preprocFunctionDef,
		c.enumerator, c.callExpression:
		return true
	}
	return b.isDeclarator(k)
}

// enter reads node n, where cur is, and reports whether to read its
// children.
func (b *cBuilder) enter(n *sitter.Node, cur *sitter.TreeCursor) bool {
	c := &cIDs
	k := n.KindId()
	f := cFrame{kind: k, owner: -1, fieldsFrom: -1}
	var parent *cFrame
	var field uint16
	if len(b.frames) > 0 {
		parent = &b.frames[len(b.frames)-1]
		if b.fieldParent(parent.kind) {
			field = cur.FieldId()
		}
		switch {
		case field == c.fDeclarator && (parent.kind == c.declaration || parent.kind == c.parameterDeclaration || parent.kind == c.functionDefinition):
			f.owner = len(b.frames) - 1
		case parent.owner >= 0 && b.isDeclarator(parent.kind) && (field == c.fDeclarator || parent.kind == c.parenDeclarator):
			f.owner = parent.owner
		}
	}
	descend := int(k) >= len(c.leaf) || !c.leaf[k] // anonymous tokens have no children
	if parent != nil && parent.kind == c.argumentList && descend && k != c.comment {
		parent.args++
	}
	switch k {
	case c.identifier:
		b.identifier(n, field, &f, parent)
		descend = false
	case c.typeIdentifier:
		name := b.text(n)
		if parent != nil && parent.progName && field == c.fType {
			// BPF_PROG(name, ...): the function's name.
			fd := &b.frames[b.progDef()]
			b.x.declare(fd.declScope, name, span(n), true, entVar)
		} else {
			b.x.typeNames[name] = true
		}
		descend = false
	case c.stringLiteral, c.concatenatedString, c.charLiteral, c.comment, c.systemLibString, c.numberLiteral:
		descend = false
	case c.declaration, c.parameterDeclaration, c.functionDefinition:
		f.declScope = b.cur()
		if k == c.parameterDeclaration && parent != nil && parent.progParams {
			parent.progParams = false
			f.progName = true
		}
	case c.parameterList:
		fd := -1
		if parent != nil && parent.kind == c.functionDeclarator && parent.owner >= 0 && b.frames[parent.owner].kind == c.functionDefinition {
			fd = parent.owner
		}
		if fd >= 0 && !b.frames[fd].funcScope {
			// The function's scope: its parameters and the top of its
			// body; closed when the definition is left.
			b.push(false)
			b.frames[fd].funcScope = true
			b.frames[fd].pops++
			f.progParams = b.frames[fd].progMacro
		} else {
			b.push(false) // a prototype's parameters
			f.pops++
		}
	case c.compound:
		if parent != nil && parent.kind == c.functionDefinition {
			if b.skipBody && len(b.frames) == 1 && !strings.Contains(b.text(n), "#") {
				// (A body with a directive is read: a #define in it
				// is a name of the file.)
				descend = false
			} else if !parent.funcScope {
				parent.funcScope = true
				parent.pops++
				b.push(false)
			}
		} else {
			b.push(false)
			f.pops++
		}
	case c.forStatement, c.preprocFunctionDef:
		b.push(false) // the loop's declarations; the macro's parameters
		f.pops++
	case c.preprocArg:
		// A macro body: names of the macro's parameters refer to them,
		// the others count as uses at file scope.
		var params map[string]bool
		if parent != nil && parent.kind == c.preprocFunctionDef {
			params = map[string]bool{}
			for name := range b.x.scopes[b.cur()].names {
				params[name] = true
			}
		}
		b.lexUses(int(n.StartByte()), int(n.EndByte()), params, true)
		descend = false
	case c.argumentList:
		if parent != nil && parent.kind == c.callExpression {
			f.fieldsFrom = bpfc.FieldArgs(parent.callee)
		}
	}
	b.frames = append(b.frames, f)
	return descend
}

// progDef is the frame of the BPF_PROG-style definition being read.
func (b *cBuilder) progDef() int {
	for i := len(b.frames) - 1; i >= 0; i-- {
		if b.frames[i].kind == cIDs.functionDefinition && b.frames[i].progMacro {
			return i
		}
	}
	return 0
}

func (b *cBuilder) identifier(n *sitter.Node, field uint16, f *cFrame, parent *cFrame) {
	c := &cIDs
	name := b.text(n)
	sp := span(n)
	if name == "" {
		return
	}
	switch {
	case f.owner >= 0:
		o := &b.frames[f.owner]
		if o.kind == c.functionDefinition && parent.kind == c.functionDeclarator && bpfc.ProgMacro(name) {
			// int BPF_PROG(name, ...): the macro is used, the
			// function's name is the first parameter.
			o.progMacro = true
			b.x.use(b.cur(), name, sp)
			return
		}
		strong := o.kind == c.functionDefinition || parent.kind == c.initDeclarator || o.kind == c.parameterDeclaration
		b.x.declare(o.declScope, name, sp, strong, entVar)
	case parent == nil:
		b.x.use(b.cur(), name, sp)
	case (parent.kind == c.preprocDef || parent.kind == c.preprocFunctionDef) && field == c.fName:
		b.x.declare(0, name, sp, true, entMacro)
	case parent.kind == c.preprocParams:
		b.x.declare(b.cur(), name, sp, true, entVar)
	case parent.kind == c.enumerator && field == c.fName:
		b.x.declare(b.cur(), name, sp, true, entVar)
	case parent.kind == c.argumentList && parent.fieldsFrom >= 0 && parent.args > parent.fieldsFrom:
		// BPF_CORE_READ(task, real_parent, tgid): field names.
	default:
		if parent.kind == c.callExpression && field == c.fFunction {
			parent.callee = name
		}
		b.x.use(b.cur(), name, sp)
	}
}

// lexUses records the identifiers of src[start:end], text the grammar
// did not read (a macro body, a map field), outside strings, character
// literals and comments and not after . or ->: a name in params refers
// to the macro's parameter; any other is a use at file scope and, in a
// macro body, a name kgent cannot resolve for sure.
func (b *cBuilder) lexUses(start, end int, params map[string]bool, macro bool) {
	s := b.src
	end = min(end, len(s))
	for i := start; i < end; {
		ch := s[i]
		switch {
		case ch == '"' || ch == '\'':
			i++
			for i < end && s[i] != ch {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			i++
		case ch == '/' && i+1 < end && s[i+1] == '/':
			i = end
		case ch == '/' && i+1 < end && s[i+1] == '*':
			j := strings.Index(s[i+2:end], "*/")
			if j < 0 {
				i = end
			} else {
				i += j + 4
			}
		case isWord(ch):
			j := i
			for j < end && isWord(s[j]) {
				j++
			}
			word := s[i:j]
			p := i - 1
			for p >= start && (s[p] == ' ' || s[p] == '\t') {
				p--
			}
			field := p >= start && (s[p] == '.' || s[p] == '>' && p > start && s[p-1] == '-')
			if !field && !(ch >= '0' && ch <= '9') && !cKeywords[word] {
				sp := analysis.Span{Start: i, End: j}
				if params[word] {
					b.x.use(b.cur(), word, sp)
				} else {
					if macro {
						b.x.macroNames[word] = true
					}
					b.x.use(0, word, sp)
				}
			}
			i = j
		default:
			i++
		}
	}
}

func (b *cBuilder) text(n *sitter.Node) string {
	s, e := int(n.StartByte()), int(n.EndByte())
	if s < 0 || e > len(b.src) || s > e {
		return ""
	}
	return b.src[s:e]
}

func span(n *sitter.Node) analysis.Span {
	return analysis.Span{Start: int(n.StartByte()), End: int(n.EndByte())}
}
