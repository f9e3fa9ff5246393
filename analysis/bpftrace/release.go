package bpftrace

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// Rules that changed between releases, each checked against the release
// being checked: the config block (its keys and its place), variables
// and their scopes (lexical scoping and let from 0.22), map declarations,
// and constructs one release accepts and another refuses. Boundaries come
// from bpftrace's changelog and were checked against the real 0.17, 0.23
// and 0.27 (testdata/bpftrace-releases).

// Releases at which a rule changed.
const (
	scopeSince        = "0.22" // variables live in their block; let
	typedLetIntBefore = "0.24" // 0.22/0.23 refuse let $x: uint8 = 7
	printIndexedSince = "0.21" // print(@m[k])
	enumCastSince     = "0.23" // (enum e)5
	probeStringSince  = "0.23" // probe is a string
	ptrCondSince      = "0.23" // pointers in if, && and ||
	indexStrSince     = "0.25" // $s[1], $t[0]
	forBreakSince     = "0.24" // break/continue in for
	exitInLoopUntil   = "0.25" // exit() inside loops refused from here
	multiDeleteIn     = "0.21" // delete(@a[1], @b[2]) only in 0.21
	spaceColonUntil   = "0.27" // tracepoint: a:b refused from here
	callableBuiltins  = "0.24"
	multiBeginSince   = "0.25" // several BEGIN or END probes
	rawtpModuleSince  = "0.24" // rawtracepoint:module:name
	printStructSince  = "0.18" // print(*ptr)
)

func (c *checker) releaseRules() {
	c.configRules()
	c.imports()
	c.singleBeginEnd()
	c.mapDecls()
	for _, p := range c.file.Probes {
		if !c.alive() {
			return
		}
		for _, ap := range p.Attach {
			c.attachForm(ap)
			if ap.SpaceAfterColon && kb.VersionAtLeast(c.version, spaceColonUntil) {
				c.add(analysis.New(analysis.KG100, ap.Span, fmt.Sprintf("bpftrace %s refuses white space after a ':' of an attach point (releases before %s took it)", c.version, spaceColonUntil)).
					WithFix("Remove the white space", ap.Span, ap.Raw))
			}
		}
		c.migrations(p)
		c.probe = p
		c.scopes(p)
		if p.Body != nil {
			c.stmtRules(p.Body, 0, false)
		}
	}
}

// configRules checks the config block: its place (before every probe),
// and each key against the release's keys.
func (c *checker) configRules() {
	if c.file.Config == (analysis.Span{}) || !kb.VersionAtLeast(c.version, kb.BpftraceSyntaxSince["config"]) {
		return
	}
	if c.file.ConfigAfterProbe {
		c.add(analysis.New(analysis.KG100, analysis.Span{Start: c.file.Config.Start, End: c.file.Config.Start + len("config")},
			"the config block must come before every probe"))
	}
	for _, e := range c.file.ConfigKeys {
		ok, since := kb.BpftraceConfigKey(c.version, e.Key)
		if to := configRenamed[strings.ToLower(e.Key)]; ok && to != "" {
			c.add(analysis.New(analysis.KG204, e.Span, fmt.Sprintf("config key %s is the old name of %s", e.Key, to)).
				WithFix("Replace with "+to, e.Span, to))
		}
		if ok {
			continue
		}
		msg := fmt.Sprintf("unknown config key %s in bpftrace %s", e.Key, c.version)
		if since != "" && !kb.VersionAtLeast(c.version, since) {
			msg = fmt.Sprintf("config key %s is new in bpftrace %s (checking against %s)", e.Key, since, c.version)
		} else if since != "" {
			msg = fmt.Sprintf("config key %s is gone in bpftrace %s", e.Key, c.version)
		}
		f := analysis.New(analysis.KG100, e.Span, msg)
		if n := c.nearestOf(kb.BpftraceConfigKeys(c.version), e.Key); n != "" {
			f.Message += "; did you mean " + n
			f = f.WithFix("Replace with "+n, e.Span, n)
		}
		c.add(f)
	}
}

// mapDecls checks `let @m = KIND(N);` kinds.
func (c *checker) mapDecls() {
	if !kb.VersionAtLeast(c.version, kb.BpftraceSyntaxSince["map-decl"]) {
		return
	}
	for _, d := range c.file.MapDeclKinds {
		if !kb.MapDeclTypes[d.Value] {
			c.add(analysis.New(analysis.KG100, d.Span, fmt.Sprintf("%s is not a map kind: declare %s with hash, lruhash, percpuhash, percpulruhash or percpuarray", d.Value, d.Key)))
		}
	}
}

// signals bpftrace's self:signal probes take.
var selfSignals = map[string]bool{"SIGUSR1": true, "SIGUSR2": true, "SIGHUP": true, "SIGINT": true, "SIGTERM": true,
	"SIGQUIT": true, "SIGCONT": true, "SIGWINCH": true, "SIGALRM": true, "SIGCHLD": true, "SIGPIPE": true}

var intervalUnits = map[string]bool{"s": true, "ms": true, "us": true, "ns": true, "hz": true, "m": true, "h": true, "d": true, "sec": true}

// attachForm checks the argument forms of attach points that do not
// depend on the kernel.
func (c *checker) attachForm(ap *AttachPoint) {
	typ := kb.BpftraceProbeTypes[ap.Type]
	if _, ok := c.spec.ProbeType(ap.Type); !ok {
		return
	}
	switch typ {
	case "interval", "profile":
		if len(ap.Parts) == 2 && ap.Parts[0] != "" && isName(ap.Parts[0]) && !intervalUnits[ap.Parts[0]] {
			c.add(analysis.New(analysis.KG301, ap.Spans[0], fmt.Sprintf("%s is not a unit of time: use s, ms, us or hz", ap.Parts[0])))
		}
	case "self":
		if len(ap.Parts) == 2 && ap.Parts[0] == "signal" && !strings.ContainsAny(ap.Parts[1], "*?") && !selfSignals[ap.Parts[1]] {
			c.add(analysis.New(analysis.KG301, ap.Spans[1], fmt.Sprintf("%s is not a signal self probes take: use SIGUSR1 or SIGUSR2", ap.Parts[1])))
		}
	case "rawtracepoint":
		if len(ap.Parts) == 2 && !kb.VersionAtLeast(c.version, rawtpModuleSince) {
			c.add(analysis.New(analysis.KG301, ap.Span, fmt.Sprintf("rawtracepoint:MODULE:NAME is new in bpftrace %s (checking against %s): write rawtracepoint:%s", rawtpModuleSince, c.version, ap.Parts[1])).
				WithFix("Drop the module", ap.Span, ap.Type+":"+ap.Parts[1]))
		}
	case "asyncwatchpoint":
		if len(ap.Parts) > 0 && strings.HasPrefix(ap.Parts[0], "0x") {
			c.add(analysis.New(analysis.KG301, ap.Spans[0], "asyncwatchpoint takes a function and argument (asyncwatchpoint:FUNC+ARG:LEN:MODE), not an address"))
		}
	}
}

// scope is one block's variables: declared by let (with a type) or by a
// first assignment.
type scope struct {
	vars map[string]string // name -> declared type ("" when none)
	let  map[string]bool
}

// scopes checks variable declarations and uses. Every release refuses a
// variable that is read but never assigned; from 0.22 a variable lives
// in the block it is first assigned (or let) in, let may not redeclare,
// and a typed let fixes the variable's type.
func (c *checker) scopes(p *Probe) {
	if p.Body == nil {
		return
	}
	assigned := map[string]bool{}
	Walk(p.Body, func(n Node) {
		switch x := n.(type) {
		case *Assign:
			if v, ok := Unparen(x.LHS).(*Var); ok {
				assigned[v.Name] = true
			}
		case *ExprStmt:
			if v, ok := x.X.(*Var); ok && x.Let {
				assigned[v.Name] = true
			}
		case *LoopStmt:
			if len(x.Head) > 0 && x.Kind == "for" {
				if v, ok := Unparen(x.Head[0]).(*Var); ok {
					assigned[v.Name] = true
				}
			}
		case *Unary:
			if v, ok := Unparen(x.X).(*Var); ok && strings.Contains(x.Op, "++") || ok && strings.Contains(x.Op, "--") {
				assigned[v.Name] = true
			}
		}
	})
	if !kb.VersionAtLeast(c.version, scopeSince) {
		reported := map[string]bool{}
		if p.Pred != nil {
			// The predicate runs before the body: nothing is assigned yet.
			c.undeclared(p.Pred, map[string]bool{}, reported)
		}
		c.undeclared(p.Body, assigned, reported)
		return
	}
	s := &scoper{c: c, reported: map[string]bool{}}
	if p.Pred != nil {
		s.expr(p.Pred)
	}
	s.block(p.Body, nil)
}

// undeclared reports variables read in n that the probe never assigns.
func (c *checker) undeclared(n Node, assigned, reported map[string]bool) {
	Walk(n, func(n Node) {
		if v, ok := n.(*Var); ok && isScratch(v.Name) && !assigned[v.Name] && !reported[v.Name] {
			reported[v.Name] = true
			c.add(analysis.New(analysis.KG509, v.Span, fmt.Sprintf("variable %s is never assigned", v.Name)))
		}
	})
}

func isScratch(name string) bool {
	return len(name) > 1 && name[1] != '#' && (name[1] < '0' || name[1] > '9')
}

type scoper struct {
	c        *checker
	stack    []*scope
	reported map[string]bool
}

func (s *scoper) lookup(name string) (*scope, bool) {
	for i := len(s.stack) - 1; i >= 0; i-- {
		if _, ok := s.stack[i].vars[name]; ok {
			return s.stack[i], true
		}
	}
	return nil, false
}

// block enters a block: the variables its own statements assign (not
// those of nested blocks, not those it declares with let) belong to it.
func (s *scoper) block(b *Block, pre map[string]string) {
	sc := &scope{vars: map[string]string{}, let: map[string]bool{}}
	for k, v := range pre {
		sc.vars[k] = v
	}
	lets := map[string]bool{}
	for _, st := range b.Stmts {
		if es, ok := st.(*ExprStmt); ok && es.Let {
			if v := letVar(es); v != nil {
				lets[v.Name] = true
			}
		}
	}
	for _, st := range b.Stmts {
		es, ok := st.(*ExprStmt)
		if !ok || es.Let {
			continue
		}
		assignedIn(es.X, func(v *Var) {
			if !lets[v.Name] {
				if _, outer := s.lookup(v.Name); !outer {
					sc.vars[v.Name] = ""
				}
			}
		})
	}
	s.stack = append(s.stack, sc)
	for _, st := range b.Stmts {
		s.stmt(st)
	}
	s.stack = s.stack[:len(s.stack)-1]
}

func letVar(es *ExprStmt) *Var {
	switch x := es.X.(type) {
	case *Var:
		return x
	case *Assign:
		v, _ := Unparen(x.LHS).(*Var)
		return v
	}
	return nil
}

func (s *scoper) stmt(st Stmt) {
	c := s.c
	switch x := st.(type) {
	case *ExprStmt:
		if x.Let {
			v := letVar(x)
			if v == nil {
				if m, ok := x.X.(*Assign); ok {
					if _, isMap := Unparen(m.LHS).(*MapRef); isMap {
						c.add(analysis.New(analysis.KG100, m.LHS.NodeSpan(), "a map is declared with let @m = hash(N) outside every probe, not in one"))
					}
				}
				return
			}
			if a, ok := x.X.(*Assign); ok {
				s.expr(a.RHS)
				c.letType(x.LetType, a.RHS, v)
			}
			if _, declared := s.lookup(v.Name); declared {
				c.add(analysis.New(analysis.KG509, v.Span, fmt.Sprintf("%s is already declared: bpftrace %s allows no redeclaration or shadowing", v.Name, c.version)))
			}
			top := s.stack[len(s.stack)-1]
			top.vars[v.Name] = x.LetType
			top.let[v.Name] = true
			return
		}
		s.expr(x.X)
	case *IfStmt:
		s.expr(x.Cond)
		if x.Then != nil {
			s.block(x.Then, nil)
		}
		if x.Else != nil {
			s.stmt(x.Else)
		}
	case *LoopStmt:
		pre := map[string]string{}
		head := x.Head
		if x.Kind == "for" && len(head) > 0 {
			if v, ok := Unparen(head[0]).(*Var); ok {
				pre[v.Name] = ""
			}
			head = head[1:]
		}
		for _, h := range head {
			s.expr(h)
		}
		if x.Body != nil {
			s.block(x.Body, pre)
		}
	case *ReturnStmt:
		if x.X != nil {
			s.expr(x.X)
		}
	case *BlockStmt:
		s.block(x.Block, nil)
	}
}

// expr checks the variables an expression reads and records those it
// assigns.
func (s *scoper) expr(e Expr) {
	if e == nil {
		return
	}
	c := s.c
	switch x := e.(type) {
	case *Assign:
		s.expr(x.RHS)
		if v, ok := Unparen(x.LHS).(*Var); ok {
			sc, declared := s.lookup(v.Name)
			if !declared {
				s.stack[len(s.stack)-1].vars[v.Name] = ""
			} else if t := sc.vars[v.Name]; t != "" && x.Op == "=" {
				c.letType(t, x.RHS, v)
			}
			if x.Op != "=" && !declared {
				s.use(v)
			}
			return
		}
		s.expr(x.LHS)
		return
	case *Var:
		s.use(x)
		return
	case *BlockExpr:
		s.block(x.Block, nil)
		return
	}
	var buf [3]Node
	for _, k := range children(e, buf[:0]) {
		if ke, ok := k.(Expr); ok {
			s.expr(ke)
		}
	}
}

func (s *scoper) use(v *Var) {
	if !isScratch(v.Name) || s.reported[v.Name] {
		return
	}
	if _, ok := s.lookup(v.Name); ok {
		return
	}
	s.reported[v.Name] = true
	s.c.add(analysis.New(analysis.KG509, v.Span, fmt.Sprintf("%s is not declared here: from bpftrace %s a variable lives in the block it is first assigned in (declare it before with let %s)", v.Name, scopeSince, v.Name)))
}

// letType checks a value against a variable's declared type.
func (c *checker) letType(typ string, rhs Expr, v *Var) {
	if typ == "" || rhs == nil {
		return
	}
	st := &valueState{maps: map[string]*mapSig{}}
	k := c.kindOf(rhs, st)
	intType := isIntType(typ) || btIntTypes[typ]
	switch {
	case intType && k == vkStr, typ == "string" && k == vkInt:
		c.add(analysis.New(analysis.KG406, rhs.NodeSpan(), fmt.Sprintf("%s is declared %s and is given %s", v.Name, typ, article(k))))
	case intType && typ != "int64" && !kb.VersionAtLeast(c.version, typedLetIntBefore):
		if _, lit := Unparen(rhs).(*IntLit); lit {
			sp := rhs.NodeSpan()
			c.add(analysis.New(analysis.KG406, sp, fmt.Sprintf("bpftrace %s types the literal as int64 and refuses it for %s declared %s: cast it, (%s)%s", c.version, v.Name, typ, typ, c.text(rhs))).
				WithFix("Cast to "+typ, sp, "("+typ+")"+c.src[sp.Start:sp.End]))
		}
	}
}

// stmtRules walks statements for rules that depend on where a statement
// sits: break in for loops, exit in loops.
func (c *checker) stmtRules(b *Block, loops int, inFor bool) {
	for _, st := range b.Stmts {
		switch x := st.(type) {
		case *LoopStmt:
			c.unrollCount(x)
			if x.Kind == "for" && len(x.Head) == 2 {
				if m, ok := Unparen(x.Head[1]).(*MapRef); ok && c.scalarMap(m.Name) {
					c.add(analysis.New(analysis.KG406, m.Span, fmt.Sprintf("for iterates over the keys of a map; %s has none", m.Name)))
				}
			}
			for _, h := range x.Head {
				c.exprRules(h, loops)
			}
			if x.Body != nil {
				c.stmtRules(x.Body, loops+1, x.Kind == "for")
			}
		case *IfStmt:
			c.ifRules(x)
			c.exprRules(x.Cond, loops)
			if x.Then != nil {
				c.stmtRules(x.Then, loops, inFor)
			}
			for e := x.Else; e != nil; {
				switch y := e.(type) {
				case *BlockStmt:
					c.stmtRules(y.Block, loops, inFor)
					e = nil
				case *IfStmt:
					c.ifRules(y)
					c.exprRules(y.Cond, loops)
					if y.Then != nil {
						c.stmtRules(y.Then, loops, inFor)
					}
					e = y.Else
				default:
					e = nil
				}
			}
		case *BlockStmt:
			c.stmtRules(x.Block, loops, inFor)
		case *ExprStmt:
			if id, ok := x.X.(*Ident); ok && id.Name == "break" && inFor && !kb.VersionAtLeast(c.version, forBreakSince) {
				c.add(analysis.New(analysis.KG100, id.Span, fmt.Sprintf("break and continue in for loops are new in bpftrace %s (checking against %s)", forBreakSince, c.version)))
			}
			c.exprRules(x.X, loops)
		case *ReturnStmt:
			if x.X != nil {
				c.exprRules(x.X, loops)
			}
		}
	}
}

// ifRules: a condition without parentheses must be a single operand
// (0.24 and later), and a pointer is a condition only from 0.23.
func (c *checker) ifRules(x *IfStmt) {
	if x.NoParen && !kb.VersionAtLeast(c.version, kb.BpftraceSyntaxSince["if-noparen"]) && x.Cond != nil {
		sp := x.Cond.NodeSpan()
		c.add(analysis.New(analysis.KG100, sp, fmt.Sprintf(featureText["if-noparen"], kb.BpftraceSyntaxSince["if-noparen"], c.version)).
			WithFix("Add parentheses", sp, "("+c.src[sp.Start:sp.End]+")"))
	}
	if x.NoParen && kb.VersionAtLeast(c.version, kb.BpftraceSyntaxSince["if-noparen"]) {
		if _, bin := x.Cond.(*Binary); bin {
			c.add(analysis.New(analysis.KG100, x.Cond.NodeSpan(), "an if condition without parentheses must be a single operand: write if (...)"))
		}
	}
	c.pointerCond(x.Cond)
}

// pointerCond flags a pointer used as a truth value before 0.23.
func (c *checker) pointerCond(e Expr) {
	if kb.VersionAtLeast(c.version, ptrCondSince) || e == nil {
		return
	}
	e = Unparen(e)
	if b, ok := e.(*Binary); ok && (b.Op == "&&" || b.Op == "||") {
		c.pointerCond(b.L)
		c.pointerCond(b.R)
		return
	}
	isPtr := false
	switch x := e.(type) {
	case *Ident:
		isPtr = x.Name == "curtask"
	case *Cast:
		isPtr = x.Ptr > 0
	}
	if isPtr {
		c.add(analysis.New(analysis.KG406, e.NodeSpan(), fmt.Sprintf("a pointer is a condition only from bpftrace %s (checking against %s): compare it with 0", ptrCondSince, c.version)))
	}
}

// exprRules checks calls, casts, comparisons and indexing against the
// release.
func (c *checker) exprRules(e Expr, loops int) {
	Walk(e, func(n Node) {
		switch x := n.(type) {
		case *Call:
			c.callRules(x, loops)
		case *Cast:
			if strings.HasPrefix(x.Type, "enum ") && x.Ptr == 0 && !kb.VersionAtLeast(c.version, enumCastSince) {
				c.add(analysis.New(analysis.KG406, x.TypeSpan, fmt.Sprintf("casting to an enum is new in bpftrace %s (checking against %s)", enumCastSince, c.version)))
			}
		case *Binary:
			if (x.Op == "==" || x.Op == "!=") && !kb.VersionAtLeast(c.version, probeStringSince) {
				for _, pair := range [][2]Expr{{x.L, x.R}, {x.R, x.L}} {
					if id, ok := Unparen(pair[0]).(*Ident); ok && id.Name == "probe" {
						if _, ok := Unparen(pair[1]).(*StrLit); ok {
							c.add(analysis.New(analysis.KG406, x.Span, fmt.Sprintf("probe is a string only from bpftrace %s (checking against %s): it cannot be compared with one", probeStringSince, c.version)))
						}
					}
				}
			}
			if x.Op == "&&" || x.Op == "||" {
				c.pointerCond(x)
			}
		case *IndexExpr:
			if !kb.VersionAtLeast(c.version, indexStrSince) && c.stringOrTuple(x.X) {
				c.add(analysis.New(analysis.KG406, x.Span, fmt.Sprintf("indexing a string or a tuple with [] is new in bpftrace %s (checking against %s)", indexStrSince, c.version)))
			}
		}
	})
}

// stringOrTuple tells whether e is known to be a string or a tuple: a
// variable assigned a string literal or a tuple, or a task's comm.
func (c *checker) stringOrTuple(e Expr) bool {
	switch x := Unparen(e).(type) {
	case *StrLit, *Tuple:
		return true
	case *FieldAccess:
		if id, ok := Unparen(x.X).(*Ident); ok && id.Name == "curtask" && x.Name == "comm" {
			return true
		}
	case *Var:
		found := false
		if c.probe == nil || c.probe.Body == nil {
			return false
		}
		Walk(c.probe.Body, func(n Node) {
			if a, ok := n.(*Assign); ok {
				if v, ok := Unparen(a.LHS).(*Var); ok && v.Name == x.Name {
					switch Unparen(a.RHS).(type) {
					case *StrLit, *Tuple:
						found = true
					}
				}
			}
		})
		return found
	}
	return false
}

// callRules checks calls whose meaning changed between releases.
func (c *checker) callRules(x *Call, loops int) {
	mapArg := func(i int) (*MapRef, bool) {
		if i >= len(x.Args) {
			return nil, false
		}
		m, ok := Unparen(x.Args[i]).(*MapRef)
		return m, ok
	}
	switch x.Name {
	case "exit":
		if loops > 0 && kb.VersionAtLeast(c.version, exitInLoopUntil) {
			c.add(analysis.New(analysis.KG100, x.Span, fmt.Sprintf("exit() inside a loop is refused from bpftrace %s: set a flag, break, and exit after the loop", exitInLoopUntil)))
		}
	case "print":
		if m, ok := mapArg(0); ok && len(m.Keys) > 0 && !kb.VersionAtLeast(c.version, printIndexedSince) {
			f := analysis.New(analysis.KG206, x.Span, fmt.Sprintf("print of one map element (@m[key]) is new in bpftrace %s (checking against %s): print(@m) prints every element", printIndexedSince, c.version))
			if len(x.Args) == 1 {
				f = f.WithFix("Print the whole map", x.Span, "print("+m.Name+")")
			}
			c.add(f)
		}
		if len(x.Args) > 0 && !kb.VersionAtLeast(c.version, printStructSince) {
			if u, ok := Unparen(x.Args[0]).(*Unary); ok && u.Op == "*" {
				c.add(analysis.New(analysis.KG406, x.Args[0].NodeSpan(), fmt.Sprintf("printing a whole struct is new in bpftrace %s (checking against %s): print its fields", printStructSince, c.version)))
			}
		}
		if len(x.Args) > 0 {
			if id, ok := Unparen(x.Args[0]).(*Ident); ok && id.Name == "args" {
				c.add(analysis.New(analysis.KG406, x.Args[0].NodeSpan(), "args as a whole is not printable: print its fields"))
			}
		}
	case "delete":
		c.deleteForms(x)
	case "clear", "zero":
		c.clearElement(x)
	case "reg":
		c.regContext(x)
	case "has_key", "len":
		if m, ok := mapArg(0); ok {
			if c.scalarMap(m.Name) {
				c.add(analysis.New(analysis.KG406, m.Span, fmt.Sprintf("%s() needs a map with keys; %s has none", x.Name, m.Name)))
			}
		} else if x.Name == "len" && len(x.Args) == 1 {
			id, ok := Unparen(x.Args[0]).(*Ident)
			if !ok || id.Name != "kstack" && id.Name != "ustack" {
				if _, call := Unparen(x.Args[0]).(*Call); !call || !kb.VersionAtLeast(c.version, "0.23") {
					c.add(analysis.New(analysis.KG406, x.Args[0].NodeSpan(), "len() takes a map (or, from 0.23, kstack or ustack); strlen() measures a string (0.25)"))
				}
			}
		}
	case "nsecs", "pid", "tid":
		modes := map[string]bool{"monotonic": true, "boot": true, "tai": true, "sw_tai": true}
		if x.Name != "nsecs" {
			modes = map[string]bool{"curr_ns": true, "init": true}
		}
		if len(x.Args) == 1 {
			if id, ok := Unparen(x.Args[0]).(*Ident); ok && !modes[id.Name] {
				c.add(analysis.New(analysis.KG206, id.Span, fmt.Sprintf("%s is not a mode of %s()", id.Name, x.Name)))
			}
		}
	case "path":
		if p := c.probe; p != nil {
			for _, ap := range p.Attach {
				switch kb.BpftraceProbeTypes[ap.Type] {
				case "kfunc", "kretfunc", "iter":
				default:
					c.add(analysis.New(analysis.KG202, x.NameSpan, "path() works only in fentry, fexit and iter probes"))
					return
				}
			}
		}
	case "offsetof":
		c.offsetofField(x)
		if len(x.Args) == 2 {
			Walk(x.Args[1], func(n Node) {
				if id, ok := n.(*Ident); ok {
					c.typeArgs[id.Span.Start] = true
				}
			})
		}
	}
}

// scalarMap tells whether every assignment of a map has no keys.
func (c *checker) scalarMap(name string) bool {
	seen, keyed := false, false
	for _, p := range c.file.Probes {
		if p.Body == nil {
			continue
		}
		Walk(p.Body, func(n Node) {
			if a, ok := n.(*Assign); ok {
				if m, ok := Unparen(a.LHS).(*MapRef); ok && m.Name == name {
					seen = true
					keyed = keyed || len(m.Keys) > 0
				}
			}
		})
	}
	for _, d := range c.file.MapDecls {
		if d == name {
			return false
		}
	}
	return seen && !keyed
}

// unrollLimit is the largest count unroll takes.
const unrollLimit = 100

func (c *checker) unrollCount(x *LoopStmt) {
	if x.Kind != "unroll" || len(x.Head) == 0 {
		return
	}
	lit, ok := Unparen(x.Head[0]).(*IntLit)
	if !ok {
		return
	}
	n, err := strconv.Atoi(strings.ReplaceAll(lit.Text, "_", ""))
	if err == nil && (n > unrollLimit || n < 1) {
		c.add(analysis.New(analysis.KG100, lit.Span, fmt.Sprintf("unroll takes 1 to %d, not %d", unrollLimit, n)))
	}
}

// assignedIn calls fn for each variable n assigns, block expressions
// (scopes of their own) left out.
func assignedIn(n Node, fn func(*Var)) {
	if _, inner := n.(*BlockExpr); inner || n == nil {
		return
	}
	if a, ok := n.(*Assign); ok {
		if v, ok := Unparen(a.LHS).(*Var); ok {
			fn(v)
		}
	}
	var buf [3]Node
	for _, k := range children(n, buf[:0]) {
		assignedIn(k, fn)
	}
}

// btIntTypes are bpftrace's own integer type names.
var btIntTypes = map[string]bool{"int8": true, "int16": true, "int32": true, "int64": true,
	"uint8": true, "uint16": true, "uint32": true, "uint64": true}

// imports checks that an imported file exists next to the script (the
// standard library's names aside).
func (c *checker) imports() {
	if c.path == "" || !kb.VersionAtLeast(c.version, kb.BpftraceSyntaxSince["import"]) {
		return
	}
	dir := filepath.Dir(c.path)
	for _, im := range c.file.Imports {
		if im.Key == "" || strings.HasPrefix(im.Key, "stdlib") {
			continue
		}
		found := false
		for _, cand := range []string{im.Key, im.Key + ".bt"} {
			if !filepath.IsAbs(cand) {
				cand = filepath.Join(dir, cand)
			}
			if _, err := os.Stat(cand); err == nil {
				found = true
			}
		}
		if !found {
			c.add(analysis.New(analysis.KG100, im.Span, fmt.Sprintf("import %q: no such file next to the script", im.Key)))
		}
	}
}

// deleteForms checks delete's spelling against the release, with fixes
// to the release's spelling: delete(@m[k]) everywhere, delete(@a[1],
// @b[2]) only in 0.21, delete(@m, k) from 0.22.
func (c *checker) deleteForms(x *Call) {
	if len(x.Args) == 1 {
		c.deleteWhole(x)
		return
	}
	if len(x.Args) < 2 {
		return
	}
	var maps []*MapRef
	for _, a := range x.Args {
		if m, ok := Unparen(a).(*MapRef); ok && len(m.Keys) > 0 {
			maps = append(maps, m)
		}
	}
	if len(maps) == len(x.Args) && !(kb.VersionAtLeast(c.version, multiDeleteIn) && !kb.VersionAtLeast(c.version, "0.22")) {
		// Several maps: one delete per map.
		var parts []string
		for _, m := range maps {
			parts = append(parts, "delete("+c.text(m)+")")
		}
		f := analysis.New(analysis.KG206, x.Span, fmt.Sprintf("bpftrace %s deletes one element per call; deleting from several maps in one call was only in 0.21", c.version)).
			WithFix("One delete per map", x.Span, strings.Join(parts, "; "))
		c.replaceOrAdd(analysis.KG206, x.Span, f)
		return
	}
	m, ok := Unparen(x.Args[0]).(*MapRef)
	if !ok || len(m.Keys) > 0 || len(x.Args) != 2 || kb.VersionAtLeast(c.version, "0.22") {
		return
	}
	f := analysis.New(analysis.KG206, x.Span, fmt.Sprintf("delete(%s, key) is new in bpftrace 0.22 (checking against %s): write delete(%s[key])", m.Name, c.version, m.Name)).
		WithFix("Write delete(@m[key])", x.Span, "delete("+m.Name+"["+c.text(x.Args[1])+"])")
	c.replaceOrAdd(analysis.KG206, x.Span, f)
}

// replaceOrAdd puts f in place of an earlier finding of code at span (an
// arity error the release's table gave, without the fix), or adds it.
func (c *checker) replaceOrAdd(code string, span analysis.Span, f analysis.Finding) {
	for i := range c.out {
		if c.out[i].Code == code && c.out[i].Span == span {
			c.out[i] = f
			return
		}
	}
	c.add(f)
}

// fixAt adds a fix to the finding of code at span, if there is one.
func (c *checker) fixAt(code string, span analysis.Span, title, text string) bool {
	for i := range c.out {
		if c.out[i].Code == code && c.out[i].Span == span {
			c.out[i] = c.out[i].WithFix(title, span, text)
			return true
		}
	}
	return false
}

// configRenamed are config keys bpftrace renamed, old name to new.
var configRenamed = map[string]string{"strlen": "max_strlen", "no_cpp_demangle": "cpp_demangle", "cat_bytes_max": "max_cat_bytes", "map_keys_max": "max_map_keys"}

// migrations are spellings that differ between the release a script was
// written for and the one it is checked against, with the fix to the
// checked release's spelling: args->f and args.f, sargN, renamed config
// keys.
func (c *checker) migrations(p *Probe) {
	if p.Body == nil {
		return
	}
	Walk(p.Body, func(n Node) {
		switch x := n.(type) {
		case *FieldAccess:
			id, ok := Unparen(x.X).(*Ident)
			if !ok || id.Name != "args" || !x.Arrow || !kb.VersionAtLeast(c.version, argsStructSince) {
				return
			}
			op := analysis.Span{Start: id.Span.End, End: x.NameSpan.Start}
			f := analysis.New(analysis.KG204, op, fmt.Sprintf("args is a struct from bpftrace %s on: args.%s is the current spelling (args->%s still works)", argsStructSince, x.Name, x.Name)).
				WithFix("Replace -> with .", op, ".")
			f.Severity = analysis.Hint
			c.add(f)
		case *Ident:
			if !strings.HasPrefix(x.Name, "sarg") {
				return
			}
			n, err := strconv.Atoi(x.Name[len("sarg"):])
			if err != nil || n < 0 || n > 64 {
				return
			}
			repl := fmt.Sprintf("*(uint64 *)(reg(\"sp\") + %d)", 8*(n+1))
			switch {
			case kb.VersionAtLeast(c.version, "0.25"):
				c.fixAt(analysis.KG202, x.Span, "Read the stack slot", repl)
				c.fixAt(analysis.KG201, x.Span, "Read the stack slot", repl)
			case kb.VersionAtLeast(c.version, "0.21"):
				c.add(analysis.New(analysis.KG204, x.Span, fmt.Sprintf("%s is deprecated since bpftrace 0.21 and gone in 0.25: read the stack slot, %s", x.Name, repl)).
					WithFix("Read the stack slot", x.Span, repl))
			}
		}
	})
}

// olderSpelling adds the checked release's spelling to a "new in"
// finding where there is one: comm() is comm before 0.24, errorf is
// printf, nsecs(monotonic) is nsecs.
func (c *checker) olderSpelling(f analysis.Finding, x *Call) analysis.Finding {
	switch {
	case len(x.Args) == 0 && c.spec.Builtin(x.Name):
		f.Message += fmt.Sprintf("; before %s builtins are not called: write %s", callableBuiltins, x.Name)
		return f.WithFix("Write "+x.Name, x.Span, x.Name)
	case x.Name == "has_key" && len(x.Args) == 2:
		// Before has_key, a map read is zero for a missing key.
		if m, ok := Unparen(x.Args[0]).(*MapRef); ok && len(m.Keys) == 0 {
			repl := m.Name + "[" + c.text(x.Args[1]) + "]"
			f.Message += "; before it, read the element: " + repl + " is 0 when the key is missing"
			return f.WithFix("Read "+repl, x.Span, repl)
		}
	case x.Name == "errorf" || x.Name == "warnf":
		return f.WithFix("Replace with printf", x.NameSpan, "printf")
	case x.Name == "nsecs" && len(x.Args) == 1:
		if id, ok := Unparen(x.Args[0]).(*Ident); ok && id.Name == "monotonic" {
			return f.WithFix("Write nsecs", x.Span, "nsecs")
		}
	}
	return f
}

// offsetofField checks offsetof(struct T, f[.g...]) against the kernel's
// types: each field must exist (sub-fields from 0.23).
func (c *checker) offsetofField(x *Call) {
	if c.k == nil || len(x.Args) != 2 || c.hasIncludes() {
		return
	}
	cast, ok := x.Args[0].(*Cast)
	if !ok {
		return
	}
	kind, name, _ := strings.Cut(cast.Type, " ")
	if _, local := c.file.Structs[name]; local {
		return
	}
	var path []*Ident
	var collect func(e Expr) bool
	collect = func(e Expr) bool {
		switch y := Unparen(e).(type) {
		case *Ident:
			path = append(path, y)
			return true
		case *FieldAccess:
			if !collect(y.X) {
				return false
			}
			path = append(path, &Ident{Name: y.Name, Span: y.NameSpan})
			return true
		}
		return false
	}
	if !collect(x.Args[1]) || len(path) == 0 {
		return
	}
	t, ok := c.k.Type(kind, name)
	if !ok {
		return
	}
	for i, id := range path {
		m, ok := c.k.Member(t, id.Name)
		if !ok {
			c.add(analysis.New(analysis.KG401, id.Span, fmt.Sprintf("%s %s has no field %s", kind, t.Name, id.Name)))
			return
		}
		if i == len(path)-1 || m.Ref == "" {
			return
		}
		if t, ok = c.k.Type(m.RefKind, m.Ref); !ok {
			return
		}
	}
}

// singleBeginEnd: before 0.25 a script has at most one BEGIN and one END
// probe.
func (c *checker) singleBeginEnd() {
	if kb.VersionAtLeast(c.version, multiBeginSince) {
		return
	}
	first := map[string]bool{}
	for _, p := range c.file.Probes {
		for _, ap := range p.Attach {
			pt, ok := c.spec.ProbeType(ap.Type)
			if !ok || pt.Name != "BEGIN" && pt.Name != "END" || len(ap.Parts) > 0 {
				continue
			}
			canon := pt.Name
			if first[canon] {
				c.add(analysis.New(analysis.KG301, ap.Span, fmt.Sprintf("more than one %s probe: allowed from bpftrace %s (checking against %s); merge their blocks", canon, multiBeginSince, c.version)))
			}
			first[canon] = true
		}
	}
}
