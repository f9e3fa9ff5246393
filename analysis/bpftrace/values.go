package bpftrace

import (
	"fmt"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// Value kinds, only as far as they are certain: a string, an integer, a
// char pointer (a tracepoint's const char * field), an aggregation. ""
// is unknown and never reported.
const (
	vkStr  = "string"
	vkInt  = "integer"
	vkCPtr = "char pointer"
	vkAgg  = "aggregation"
	vkTup  = "tuple"
)

// tupleKeysSince is the release that allows a tuple as one map key.
const tupleKeysSince = "0.22"

var strBuiltins = map[string]bool{"comm": true, "username": true, "func": true, "probe": true}

var intBuiltins = map[string]bool{"pid": true, "tid": true, "uid": true, "gid": true, "nsecs": true, "elapsed": true,
	"cpu": true, "numaid": true, "rand": true, "cgroup": true, "jiffies": true}

var strFuncs = map[string]bool{"str": true, "strftime": true, "ksym": true, "usym": true, "path": true, "ntop": true, "macaddr": true, "cgroup_path": true}

// valueState is what the value checks know across the file (maps) and in
// one probe (scratch variables, the tracepoint whose fields args holds).
type valueState struct {
	maps map[string]*mapSig
	vars map[string]string
	tp   *kb.Tracepoint
	// kinds memoizes kindOf until a variable or a map changes kind: each
	// operator of a chain asks for the kinds below it.
	kinds map[Expr]string
}

// changed forgets the kinds worked out so far (a new map: clearing a big
// one costs its size, and a script may change kinds often).
func (st *valueState) changed() {
	if len(st.kinds) > 0 {
		st.kinds = map[Expr]string{}
	}
}

type mapSig struct {
	value     string // kind of the values assigned
	valueSpan analysis.Span
	keys      []string // kinds of the keys, nil until used with keys or assigned
	keysSet   bool
	keySpan   analysis.Span
	// shape is false when the key count is not certain: one key that
	// may be a tuple ($key = (a, b); @m[$key] is @m[a, b]).
	shape bool
}

func (c *checker) kindOf(e Expr, st *valueState) string {
	if k, ok := st.kinds[e]; ok {
		return k
	}
	k := c.resolveKind(e, st)
	if st.kinds != nil {
		st.kinds[e] = k
	}
	return k
}

func (c *checker) resolveKind(e Expr, st *valueState) string {
	switch x := Unparen(e).(type) {
	case *StrLit:
		return vkStr
	case *IntLit:
		return vkInt
	case *Tuple:
		return vkTup
	case *Ident:
		switch {
		case strBuiltins[x.Name], x.Name == "probetype" && kb.VersionAtLeast(c.version, "0.25"):
			return vkStr
		case intBuiltins[x.Name] || argN.MatchString(x.Name):
			return vkInt
		}
	case *Call:
		if strFuncs[x.Name] {
			return vkStr
		}
		if f, ok := c.spec.Function(x.Name); ok && f.Agg {
			return vkAgg
		}
	case *Var:
		return st.vars[x.Name]
	case *MapRef:
		if m := st.maps[x.Name]; m != nil && m.value == vkAgg {
			return vkAgg
		}
	case *Binary:
		switch x.Op {
		case "==", "!=", "<", "<=", ">", ">=", "&&", "||":
			return vkInt
		}
		if c.kindOf(x.L, st) == vkInt && c.kindOf(x.R, st) == vkInt {
			return vkInt
		}
	case *Unary:
		if x.Op == "-" || x.Op == "~" || x.Op == "!" {
			return vkInt
		}
	case *FieldAccess:
		if id, ok := Unparen(x.X).(*Ident); ok && id.Name == "args" && st.tp != nil {
			for _, f := range st.tp.Fields {
				if f.Name != x.Name {
					continue
				}
				t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(f.Type), "const "))
				switch {
				case t == "char *" || t == "char*" || strings.HasPrefix(t, "__data_loc char"):
					return vkCPtr // read the string with str()
				case strings.HasPrefix(t, "char[") && !strings.HasPrefix(t, "char[]"):
					return vkStr
				case !strings.ContainsAny(t, "*[") && isIntType(t):
					return vkInt
				}
			}
		}
	}
	return ""
}

func isIntType(t string) bool {
	for _, w := range strings.Fields(t) {
		switch w {
		case "int", "long", "short", "unsigned", "signed", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
			"__u8", "__u16", "__u32", "__u64", "__s8", "__s16", "__s32", "__s64", "size_t", "pid_t", "umode_t", "dev_t", "sector_t", "loff_t", "gfp_t":
		default:
			return false
		}
	}
	return t != ""
}

// values checks one probe's values in source order: comparisons of a
// string with an integer or a char pointer, maps and variables assigned
// values of two kinds, maps used with keys of two shapes, and arithmetic
// on aggregations.
func (c *checker) values(p *Probe, st *valueState) {
	st.vars = map[string]string{}
	st.tp = nil
	st.kinds = map[Expr]string{}
	if len(p.Attach) == 1 && c.k != nil {
		ap := p.Attach[0]
		if kb.BpftraceProbeTypes[ap.Type] == "tracepoint" && len(ap.Parts) == 2 && !strings.ContainsAny(ap.Raw, "*?") {
			st.tp, _ = c.k.Tracepoint(ap.Parts[0], ap.Parts[1])
		}
	}
	seen := map[*MapRef]bool{} // an assigned map is visited twice
	visit := func(n Node) {
		switch x := n.(type) {
		case *Binary:
			c.compare(x, st)
			c.stringCondition(x, st)
		case *Ternary:
			c.ternaryKinds(x, st)
		case *Call:
			c.formatArgs(x, st)
			c.strOfString(x, st)
		case *Assign:
			c.aggOfString(x, st)
			switch lhs := Unparen(x.LHS).(type) {
			case *Var:
				if x.Op != "=" {
					return
				}
				k := c.kindOf(x.RHS, st)
				prev, seen := st.vars[lhs.Name]
				switch {
				case !seen:
					st.vars[lhs.Name] = k
					st.changed()
				case prev != "" && k != "" && prev != k && (prev == vkStr || k == vkStr):
					c.add(analysis.New(analysis.KG406, x.RHS.NodeSpan(), fmt.Sprintf("%s holds %s and is assigned %s here", lhs.Name, article(prev), article(k))))
				}
			case *MapRef:
				seen[lhs] = true
				c.mapKeys(lhs, st, true)
				k := c.kindOf(x.RHS, st)
				if x.Op != "=" {
					k = vkInt
				}
				m := st.maps[lhs.Name]
				if m.value == "" {
					m.value, m.valueSpan = k, x.RHS.NodeSpan()
					st.changed()
				} else if k != "" && m.value != k && m.value != vkAgg && k != vkAgg && (m.value == vkStr || k == vkStr) {
					f := analysis.New(analysis.KG406, x.RHS.NodeSpan(), fmt.Sprintf("map %s holds %s values and is assigned %s here", lhs.Name, m.value, article(k)))
					f.Related = append(f.Related, analysis.Related{Span: m.valueSpan, Message: "first assigned here"})
					c.add(f)
				}
			}
		case *MapRef:
			if len(x.Keys) > 0 && !seen[x] {
				c.mapKeys(x, st, false)
			}
		}
	}
	if p.Pred != nil {
		c.walk(p.Pred, visit)
	}
	if p.Body != nil {
		c.walk(p.Body, visit)
	}
}

// mapKeys checks the keys of one use of a map against its first use.
func (c *checker) mapKeys(m *MapRef, st *valueState, assign bool) {
	sig := st.maps[m.Name]
	if sig == nil {
		sig = &mapSig{}
		st.maps[m.Name] = sig
	}
	keys := m.Keys
	if len(keys) == 1 && !kb.VersionAtLeast(c.version, tupleKeysSince) && c.kindOf(keys[0], st) == vkTup {
		if _, literal := Unparen(keys[0]).(*Tuple); !literal {
			c.add(analysis.New(analysis.KG406, keys[0].NodeSpan(), fmt.Sprintf("a tuple cannot be a map key before bpftrace %s (checking against %s): write the keys out, %s[a, b]", tupleKeysSince, c.version, m.Name)))
		}
	}
	if len(keys) == 1 {
		if t, ok := Unparen(keys[0]).(*Tuple); ok {
			keys = t.Elems
		}
	}
	var kinds []string
	for _, k := range keys {
		kinds = append(kinds, c.kindOf(k, st))
	}
	shape := len(kinds) != 1 || kinds[0] != "" && kinds[0] != vkTup
	if !sig.keysSet {
		if assign || len(keys) > 0 {
			sig.keys, sig.keysSet, sig.keySpan, sig.shape = kinds, true, m.Span, shape
		}
		return
	}
	if m.Span == sig.keySpan {
		return
	}
	if len(kinds) != len(sig.keys) && shape && sig.shape {
		f := analysis.New(analysis.KG406, m.Span, fmt.Sprintf("map %s is used with %s here and with %s first", m.Name, nkeys(len(kinds)), nkeys(len(sig.keys))))
		f.Related = append(f.Related, analysis.Related{Span: sig.keySpan, Message: "first used here"})
		c.add(c.keysFix(f, m, sig.keySpan))
		return
	}
	if len(kinds) != len(sig.keys) {
		return
	}
	for i, k := range kinds {
		if k != "" && sig.keys[i] != "" && k != sig.keys[i] && (k == vkStr || sig.keys[i] == vkStr) {
			f := analysis.New(analysis.KG406, keys[i].NodeSpan(), fmt.Sprintf("map %s is keyed by %s here and by %s first", m.Name, article(k), article(sig.keys[i])))
			f.Related = append(f.Related, analysis.Related{Span: sig.keySpan, Message: "first used here"})
			c.add(f)
			return
		}
	}
}

// compare checks a comparison's operand kinds, and arithmetic on an
// aggregation.
func (c *checker) compare(x *Binary, st *valueState) {
	l, r := c.kindOf(x.L, st), c.kindOf(x.R, st)
	switch x.Op {
	case "==", "!=":
		for _, side := range []struct {
			e        Expr
			k, other string
		}{{x.L, l, r}, {x.R, r, l}} {
			if side.k == vkCPtr && side.other == vkStr {
				sp := side.e.NodeSpan()
				txt := c.src[sp.Start:sp.End]
				c.add(analysis.New(analysis.KG406, sp, fmt.Sprintf("%s is %s: compare the string with str(%s)", txt, c.cptrWhat(side.e, st), txt)).
					WithFix("Wrap in str()", sp, "str("+txt+")"))
				return
			}
		}
		fallthrough
	case "<", "<=", ">", ">=":
		if (l == vkStr && r == vkInt) || (l == vkInt && r == vkStr) {
			c.add(analysis.New(analysis.KG406, x.Span, fmt.Sprintf("%s compares a string with an integer", x.Op)))
		}
	}
	switch x.Op {
	case "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=":
		for _, e := range []Expr{x.L, x.R} {
			if m, ok := Unparen(e).(*MapRef); ok && c.kindOf(m, st) == vkAgg && !c.aggReadable(m.Name) {
				c.add(c.aggReadFix(analysis.New(analysis.KG507, m.Span, fmt.Sprintf("map %s holds an aggregation, which arithmetic cannot read: keep a plain value in another map", m.Name)), m.Name))
				return
			}
		}
	}
}

// formatArgs checks the kinds of printf-like arguments against their
// conversions: %s wants a string, %d/%u/%x/%o an integer.
func (c *checker) formatArgs(x *Call, st *valueState) {
	f, ok := c.spec.Function(x.Name)
	if !ok || !f.Format || len(x.Args) == 0 {
		return
	}
	lit, ok := Unparen(x.Args[0]).(*StrLit)
	if !ok {
		return
	}
	convs, bad := conversions(lit.Value)
	if bad != "" || c.floatConversions(x, lit, convs) || len(convs) != len(x.Args)-1 {
		return // reported as a count or syntax problem
	}
	for i, conv := range convs {
		arg := x.Args[i+1]
		k := c.kindOf(arg, st)
		sp := arg.NodeSpan()
		txt := c.src[sp.Start:sp.End]
		if k == vkAgg && c.printAgg(x, arg, conv, i, lit) {
			continue
		}
		switch {
		case conv == 's' && k == vkCPtr && kb.VersionAtLeast(c.version, "0.24"):
			// From 0.24 %s prints any value: here the address.
			c.add(analysis.New(analysis.KG504, sp, fmt.Sprintf("%%s of %s prints its address (0x7f...), not the string it points to: use str(%s)", txt, txt)).
				WithSeverity(analysis.Warning).WithFix("Wrap in str()", sp, "str("+txt+")"))
		case conv == 's' && k == vkCPtr:
			c.add(analysis.New(analysis.KG504, sp, fmt.Sprintf("%%s needs a string and %s is %s: use str(%s)", txt, c.cptrWhat(arg, st), txt)).
				WithFix("Wrap in str()", sp, "str("+txt+")"))
		case conv == 's' && c.enumConst(arg) && !kb.VersionAtLeast(c.version, "0.22"):
			c.add(analysis.New(analysis.KG504, sp, fmt.Sprintf("%%s prints an enum's name from bpftrace 0.22 on (checking against %s): use %%d", c.version)))
		case conv == 's' && k == vkInt && !kb.VersionAtLeast(c.version, "0.24"):
			c.add(c.convFix(analysis.New(analysis.KG504, sp, fmt.Sprintf("%%s needs a string and %s is an integer: use %%d", txt)), lit, i, "d"))
		case strings.IndexByte("diuxXo", conv) >= 0 && k == vkStr:
			c.add(c.convFix(analysis.New(analysis.KG504, sp, fmt.Sprintf("%%%c needs an integer and %s is a string: use %%s", conv, txt)), lit, i, "s"))
		}
	}
}

// cptrWhat says what a vkCPtr tracepoint field is.
func (c *checker) cptrWhat(e Expr, st *valueState) string {
	if fa, ok := Unparen(e).(*FieldAccess); ok && st.tp != nil {
		for _, f := range st.tp.Fields {
			if f.Name == fa.Name && strings.HasPrefix(f.Type, "__data_loc") {
				return "a __data_loc string (an offset into the record)"
			}
		}
	}
	return "a char pointer"
}

func nkeys(n int) string {
	switch n {
	case 0:
		return "no key"
	case 1:
		return "1 key"
	}
	return fmt.Sprintf("%d keys", n)
}

func article(k string) string {
	if k == vkInt || k == vkAgg {
		return "an " + k
	}
	return "a " + k
}

// aggReadable tells whether the checked release reads the aggregation
// a map holds in the kernel: count, sum, min and max from 0.21, avg from
// 0.22; stats and histograms never.
func (c *checker) aggReadable(name string) bool {
	switch c.mapKinds[name].fn {
	case "count", "sum", "min", "max":
		return kb.VersionAtLeast(c.version, "0.21")
	case "avg":
		return kb.VersionAtLeast(c.version, "0.22")
	}
	return false
}

// enumConst tells whether e is an enum constant the script defines.
func (c *checker) enumConst(e Expr) bool {
	id, ok := Unparen(e).(*Ident)
	if !ok {
		return false
	}
	_, ok = c.file.Enums[id.Name]
	return ok
}
