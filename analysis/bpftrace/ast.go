package bpftrace

import "github.com/kgent/kgent/analysis"

// File is a parsed script.
type File struct {
	Probes     []*Probe
	Directives []Directive
	Structs    map[string]analysis.Span // struct types defined in the script
	// StructFields are the field names of a script's struct definitions
	// (nil when a member is too complex to read).
	StructFields map[string][]string
	Macros       map[string]analysis.Span // macro names: #define and `macro` definitions
	Enums        map[string]analysis.Span // enum constants defined in the script
	Config       analysis.Span
	// ConfigAfterProbe is set when a config block follows a probe.
	ConfigAfterProbe bool
	ConfigKeys       []ConfigEntry   // key = value of the config block
	MapDeclKinds     []ConfigEntry   // let @m = KIND(N): map name, kind
	Imports          []ConfigEntry   // import "name"
	MacroMaps        map[string]bool // maps named in macro bodies (not parsed)
	MapDecls         []string        // maps declared with let @m = hash(N)
	// MapDeclSpans are the spans of the @names of MapDecls, in order.
	MapDeclSpans []analysis.Span
	// Features are language constructs newer than bpftrace 0.17, by the
	// kb's name ("for", "for-range", "config", "let", "macro", "import"),
	// with the span of their first use.
	Features map[string]analysis.Span
}

// ConfigEntry is a key and its value as written, with the key's span.
type ConfigEntry struct {
	Key, Value string
	Span       analysis.Span
}

// Directive is a preprocessor line: #include, #define, #if/#ifdef/
// #ifndef/#else/#endif, ...
type Directive struct {
	Kind string // "include", "define", "ifndef", ...
	Arg  string // header name, macro name or condition
	Span analysis.Span
	// Guard is the condition of the innermost #if/#ifdef/#ifndef block
	// the line sits in ("" at top level), written as "NAME" for
	// #ifdef NAME, "!NAME" for #ifndef NAME, "!NAME" negated again in its
	// #else branch, or the raw #if expression.
	Guard string
}

// Probe is one probe block with its attach points.
type Probe struct {
	Attach []*AttachPoint
	Pred   Expr
	Body   *Block
	Span   analysis.Span
}

// AttachPoint is one attach point as written, split at ':'.
type AttachPoint struct {
	Raw   string
	Span  analysis.Span
	Type  string          // as written (alias or full name)
	Parts []string        // the rest, split at ':' (quotes kept out)
	Spans []analysis.Span // span of each part
	// SpaceAfterColon: white space around a ':' (tracepoint: a:b, kprobe :f).
	SpaceAfterColon bool
}

// Node is any syntax node.
type Node interface{ NodeSpan() analysis.Span }

// Expr is an expression.
type Expr interface {
	Node
	expr()
}

// Stmt is a statement.
type Stmt interface {
	Node
	stmt()
}

type (
	Ident struct {
		Name string
		Span analysis.Span
	}
	IntLit struct {
		Text string
		Span analysis.Span
	}
	StrLit struct {
		Value string // unquoted, escapes kept
		Span  analysis.Span
	}
	Var struct {
		Name string // with $
		Span analysis.Span
	}
	MapRef struct {
		Name string // with @
		Keys []Expr
		Span analysis.Span
	}
	Call struct {
		Name     string
		NameSpan analysis.Span
		Args     []Expr
		Macro    bool // name!(...), a macro call of the newest bpftrace
		Span     analysis.Span
	}
	// BlockExpr is a block used as a value ({ stmts; expr }), newest
	// bpftrace.
	BlockExpr struct {
		Block *Block
		Span  analysis.Span
	}
	Binary struct {
		Op   string
		L, R Expr
		Span analysis.Span
	}
	Unary struct {
		Op   string
		X    Expr
		Span analysis.Span
	}
	Ternary struct {
		Cond, Then, Else Expr
		Span             analysis.Span
	}
	FieldAccess struct {
		X        Expr
		Name     string
		NameSpan analysis.Span
		Arrow    bool
		Span     analysis.Span
	}
	IndexExpr struct {
		X, Index Expr
		Span     analysis.Span
	}
	Cast struct {
		Type     string // "struct sock", "uint32"
		TypeSpan analysis.Span
		Ptr      int
		X        Expr
		Span     analysis.Span
	}
	Tuple struct {
		Elems []Expr
		Span  analysis.Span
	}
	Assign struct {
		Op   string // "=", "+=", ...
		LHS  Expr
		RHS  Expr
		Span analysis.Span
	}
	// Paren is a parenthesized expression.
	Paren struct {
		X    Expr
		Span analysis.Span
	}
	// BadExpr is text that could not be read as an expression, or one
	// nested deeper than the analysis goes; X is the part read before the
	// parser gave up, if any (checked, while the whole has no known value).
	BadExpr struct {
		X    Expr
		Span analysis.Span
	}
)

type (
	Block struct {
		Stmts []Stmt
		Span  analysis.Span
	}
	ExprStmt struct {
		X    Expr
		Span analysis.Span
		// Let marks a let declaration (X is the variable or its
		// assignment); LetType is its declared type, if any.
		Let     bool
		LetType string
	}
	IfStmt struct {
		NoParen bool // the condition is not in parentheses
		Cond    Expr
		Then    *Block
		Else    Stmt // *Block or *IfStmt
		Span    analysis.Span
	}
	LoopStmt struct {
		Kind  string // while, unroll, for
		Head  []Expr // for: the variable, then the map or the range bounds
		Range bool   // for ($i : a..b)
		Body  *Block
		Span  analysis.Span
	}
	ReturnStmt struct {
		X    Expr
		Span analysis.Span
	}
	BlockStmt struct{ Block *Block }
)

func (x *Ident) NodeSpan() analysis.Span       { return x.Span }
func (x *IntLit) NodeSpan() analysis.Span      { return x.Span }
func (x *StrLit) NodeSpan() analysis.Span      { return x.Span }
func (x *Var) NodeSpan() analysis.Span         { return x.Span }
func (x *MapRef) NodeSpan() analysis.Span      { return x.Span }
func (x *Call) NodeSpan() analysis.Span        { return x.Span }
func (x *Binary) NodeSpan() analysis.Span      { return x.Span }
func (x *Unary) NodeSpan() analysis.Span       { return x.Span }
func (x *Ternary) NodeSpan() analysis.Span     { return x.Span }
func (x *FieldAccess) NodeSpan() analysis.Span { return x.Span }
func (x *IndexExpr) NodeSpan() analysis.Span   { return x.Span }
func (x *Cast) NodeSpan() analysis.Span        { return x.Span }
func (x *Tuple) NodeSpan() analysis.Span       { return x.Span }
func (x *Assign) NodeSpan() analysis.Span      { return x.Span }
func (x *BadExpr) NodeSpan() analysis.Span     { return x.Span }
func (x *Paren) NodeSpan() analysis.Span       { return x.Span }
func (x *BlockExpr) NodeSpan() analysis.Span   { return x.Span }
func (x *Block) NodeSpan() analysis.Span       { return x.Span }
func (x *ExprStmt) NodeSpan() analysis.Span    { return x.Span }
func (x *IfStmt) NodeSpan() analysis.Span      { return x.Span }
func (x *LoopStmt) NodeSpan() analysis.Span    { return x.Span }
func (x *ReturnStmt) NodeSpan() analysis.Span  { return x.Span }
func (x *BlockStmt) NodeSpan() analysis.Span   { return x.Block.Span }

func (*Ident) expr()       {}
func (*IntLit) expr()      {}
func (*StrLit) expr()      {}
func (*Var) expr()         {}
func (*MapRef) expr()      {}
func (*Call) expr()        {}
func (*Binary) expr()      {}
func (*Unary) expr()       {}
func (*Ternary) expr()     {}
func (*FieldAccess) expr() {}
func (*IndexExpr) expr()   {}
func (*Cast) expr()        {}
func (*Tuple) expr()       {}
func (*Assign) expr()      {}
func (*BadExpr) expr()     {}
func (*Paren) expr()       {}
func (*BlockExpr) expr()   {}

func (*ExprStmt) stmt()   {}
func (*IfStmt) stmt()     {}
func (*LoopStmt) stmt()   {}
func (*ReturnStmt) stmt() {}
func (*BlockStmt) stmt()  {}

// Walk calls fn for n and every node below it, parents first.
func Walk(n Node, fn func(Node)) {
	walk(n, func(n Node) bool { fn(n); return true })
}

// walk is Walk that stops as soon as fn returns false; it reports whether
// it went through. Parse bounds the depth of the tree (see bound), so the
// recursion here is bounded too.
func walk(n Node, fn func(Node) bool) bool {
	if n == nil {
		return true
	}
	switch x := n.(type) {
	case *Block:
		if x == nil {
			return true
		}
		if !fn(x) {
			return false
		}
		for _, s := range x.Stmts {
			if !walk(s, fn) {
				return false
			}
		}
		return true
	}
	if !fn(n) {
		return false
	}
	var buf [3]Node
	for _, k := range children(n, buf[:0]) {
		if !walk(k, fn) {
			return false
		}
	}
	return true
}

// children appends the nodes right below n to buf, in source order.
func children(n Node, buf []Node) []Node {
	exprs := func(es []Expr) {
		for _, e := range es {
			buf = append(buf, e)
		}
	}
	switch x := n.(type) {
	case *Block:
		if x != nil {
			for _, s := range x.Stmts {
				buf = append(buf, s)
			}
		}
	case *MapRef:
		exprs(x.Keys)
	case *Call:
		exprs(x.Args)
	case *Tuple:
		exprs(x.Elems)
	case *LoopStmt:
		exprs(x.Head)
		if x.Body != nil {
			buf = append(buf, x.Body)
		}
	case *Binary:
		buf = append(buf, x.L, x.R)
	case *Unary:
		buf = append(buf, x.X)
	case *Ternary:
		buf = append(buf, x.Cond, x.Then, x.Else)
	case *FieldAccess:
		buf = append(buf, x.X)
	case *IndexExpr:
		buf = append(buf, x.X, x.Index)
	case *Cast:
		buf = append(buf, x.X)
	case *Paren:
		buf = append(buf, x.X)
	case *BadExpr:
		if x.X != nil {
			buf = append(buf, x.X)
		}
	case *BlockExpr:
		buf = append(buf, x.Block)
	case *Assign:
		buf = append(buf, x.LHS, x.RHS)
	case *ExprStmt:
		buf = append(buf, x.X)
	case *IfStmt:
		buf = append(buf, x.Cond)
		if x.Then != nil {
			buf = append(buf, x.Then)
		}
		if x.Else != nil {
			buf = append(buf, x.Else)
		}
	case *ReturnStmt:
		if x.X != nil {
			buf = append(buf, x.X)
		}
	case *BlockStmt:
		buf = append(buf, x.Block)
	}
	return buf
}

// Unparen strips parentheses around an expression.
func Unparen(e Expr) Expr {
	for {
		p, ok := e.(*Paren)
		if !ok || p.X == nil {
			return e
		}
		e = p.X
	}
}

// Use is one use of a map or variable.
type Use struct {
	Name string
	Span analysis.Span
}

// Maps lists every use of a map (@name, with its keys) in the file, in
// source order.
func (f *File) Maps() []Use {
	var out []Use
	for _, p := range f.Probes {
		p.walk(func(n Node) {
			if m, ok := n.(*MapRef); ok {
				out = append(out, Use{Name: m.Name, Span: m.Span})
			}
		})
	}
	return out
}

// Vars lists every use of a scratch variable ($name) in the probe, in
// source order; positional parameters ($1, $#) are left out.
func (p *Probe) Vars() []Use {
	var out []Use
	p.walk(func(n Node) {
		if v, ok := n.(*Var); ok && len(v.Name) > 1 && v.Name[1] != '#' && (v.Name[1] < '0' || v.Name[1] > '9') {
			out = append(out, Use{Name: v.Name, Span: v.Span})
		}
	})
	return out
}

func (p *Probe) walk(fn func(Node)) {
	if p.Pred != nil {
		Walk(p.Pred, fn)
	}
	if p.Body != nil {
		Walk(p.Body, fn)
	}
}
