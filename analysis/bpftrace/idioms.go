package bpftrace

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// Mistakes models make in bpftrace scripts that the other checks do not
// name, each with a fix that writes what the checked release wants: the
// rate of interval and profile probes, scratch variables read where they
// were never set, str() of a string, aggregations of strings, tuples
// assigned element by element, delete(@m) for clear(@m). Boundaries were
// checked against the real 0.17, 0.23.2 and 0.27.1.

// durationProbeSince is the release whose interval and profile probes
// take one duration (interval:1s, profile:10ms); before it they take a
// unit and a rate (interval:s:1).
const durationProbeSince = "0.24"

// strOfStringUntil is the release from which str() takes a string too.
const strOfStringUntil = "0.25"

// durationNs are the suffixes of a duration and their nanoseconds.
var durationNs = map[string]uint64{"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9, "d": 86400e9}

func (c *checker) idioms() {
	for _, p := range c.file.Probes {
		if !c.alive() {
			return
		}
		for _, ap := range p.Attach {
			c.rateForm(ap)
		}
		c.probe = p
		c.tupleAssigns(p)
	}
	c.scratchFixes()
}

// rateForm checks interval:RATE and profile:RATE, one part: a duration
// from 0.24 on (a bare number is nanoseconds, at least 1000), refused
// before. The fix writes the unit and the rate, which every release takes.
func (c *checker) rateForm(ap *AttachPoint) {
	typ := kb.BpftraceProbeTypes[ap.Type]
	if typ != "interval" && typ != "profile" || len(ap.Parts) != 1 || len(ap.Spans) != 1 {
		return
	}
	arg := ap.Parts[0]
	i := 0
	for i < len(arg) && arg[i] >= '0' && arg[i] <= '9' {
		i++
	}
	num, unit := arg[:i], strings.ToLower(arg[i:])
	if num == "" || strings.ContainsAny(unit, "*?$:") {
		return
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return
	}
	want := ""
	switch {
	case unit == "hz":
		want = "hz:" + num
	case unit == "" && typ == "profile":
		want = "hz:" + num // profile:99 is meant as 99 Hz
	case unit == "":
		want = "s:" + num
	case unit == "s" || unit == "ms" || unit == "us" || unit == "sec":
		want = strings.TrimSuffix(unit, "ec") + ":" + num
	case unit == "ns" && n%1000 == 0:
		want = "us:" + strconv.FormatUint(n/1000, 10)
	case durationNs[unit] != 0:
		want = "s:" + strconv.FormatUint(n*durationNs[unit]/1e9, 10)
	}
	sp := ap.Spans[0]
	form := ap.Type + ":" + want
	var msg string
	switch {
	case !kb.VersionAtLeast(c.version, durationProbeSince):
		msg = fmt.Sprintf("%s:%s takes a unit and a rate in bpftrace %s (one duration only from %s on)", ap.Type, arg, c.version, durationProbeSince)
	case unit == "hz":
		msg = fmt.Sprintf("%s:%s: a rate in hz is written %s:hz:%s (one part is a duration: 10ms, 1s)", ap.Type, arg, ap.Type, num)
	case unit == "" && n < 1000:
		msg = fmt.Sprintf("%s:%s is %s nanoseconds in bpftrace %s (one bare number is a duration in ns, at least 1000)", ap.Type, arg, num, c.version)
	case unit != "" && durationNs[unit] == 0:
		msg = fmt.Sprintf("%s is not a duration: use ns, us, ms, s, m, h or d, or %s:hz:N", arg, ap.Type)
	default:
		return
	}
	f := analysis.New(analysis.KG301, sp, msg)
	if want != "" {
		f.Message += ": write " + form
		f = f.WithFix("Write "+form, sp, want)
	}
	c.add(f)
}

// tupleAssigns flags $t.N = v: tuples are immutable. The fix assigns a
// whole tuple, the other elements read from the old one, when the
// probe assigns the variable a tuple literal first.
func (c *checker) tupleAssigns(p *Probe) {
	if p.Body == nil {
		return
	}
	arity := map[string]int{}
	Walk(p.Body, func(n Node) {
		a, ok := n.(*Assign)
		if !ok {
			return
		}
		if v, ok := Unparen(a.LHS).(*Var); ok && a.Op == "=" {
			if t, ok := Unparen(a.RHS).(*Tuple); ok {
				if _, seen := arity[v.Name]; !seen {
					arity[v.Name] = len(t.Elems)
				}
			}
			return
		}
		fa, ok := Unparen(a.LHS).(*FieldAccess)
		if !ok || fa.Arrow {
			return
		}
		v, ok := Unparen(fa.X).(*Var)
		idx, err := strconv.Atoi(fa.Name)
		if !ok || err != nil {
			return
		}
		n2, known := arity[v.Name]
		if !known {
			return
		}
		f := analysis.New(analysis.KG406, a.Span, fmt.Sprintf("tuples are immutable: %s.%d cannot be assigned; assign %s a new tuple", v.Name, idx, v.Name))
		if a.Op == "=" && idx < n2 {
			elems := make([]string, n2)
			for i := range elems {
				elems[i] = fmt.Sprintf("%s.%d", v.Name, i)
			}
			elems[idx] = c.src[a.RHS.NodeSpan().Start:a.RHS.NodeSpan().End]
			f = f.WithFix("Assign a new tuple", a.Span, v.Name+" = ("+strings.Join(elems, ", ")+")")
		}
		c.add(f)
	})
}

// probeOf is the probe whose text holds off.
func (c *checker) probeOf(off int) *Probe {
	for _, p := range c.file.Probes {
		if p.Span.Start <= off && off < p.Span.End {
			return p
		}
	}
	return nil
}

// varUses lists the uses of a scratch variable in a probe (predicate and
// body), and the first plain assignment of the body.
func varUses(p *Probe, name string) (uses []*Var, first *Assign) {
	visit := func(n Node) {
		switch x := n.(type) {
		case *Var:
			if x.Name == name {
				uses = append(uses, x)
			}
		case *Assign:
			if v, ok := Unparen(x.LHS).(*Var); ok && v.Name == name && x.Op == "=" && first == nil {
				first = x
			}
		}
	}
	if p.Pred != nil {
		Walk(p.Pred, visit)
	}
	if p.Body != nil {
		Walk(p.Body, visit)
	}
	return uses, first
}

// threadProbes are the probe types that run in the context of the
// thread that made the event: state kept for that thread is keyed by tid.
var threadProbes = map[string]bool{"tracepoint": true, "kprobe": true, "kretprobe": true, "uprobe": true, "uretprobe": true,
	"kfunc": true, "kretfunc": true, "usdt": true, "rawtracepoint": true, "watchpoint": true}

// scratchFixes gives the "never assigned" findings of scratch variables
// a fix: a variable the predicate reads and the body assigns is the
// assigned expression; one another probe assigns is kept in a map, keyed
// by tid where both probes run in the thread's context (enter and exit
// of a call), in both probes.
func (c *checker) scratchFixes() {
	done := map[string]bool{}
	for i := range c.out {
		f := &c.out[i]
		if f.Code != analysis.KG509 || len(f.Fixes) > 0 || f.Span.End > len(c.src) {
			continue
		}
		name := c.src[f.Span.Start:f.Span.End]
		if !strings.HasPrefix(name, "$") || !isScratch(name) {
			continue
		}
		reader := c.probeOf(f.Span.Start)
		if reader == nil || done[fmt.Sprint(reader.Span.Start, name)] {
			continue
		}
		done[fmt.Sprint(reader.Span.Start, name)] = true
		uses, first := varUses(reader, name)
		if reader.Pred != nil && first != nil && inSpan(reader.Pred.NodeSpan(), f.Span.Start) && pure(first.RHS) {
			// The predicate runs before the body: read what the body
			// assigns.
			sp := first.RHS.NodeSpan()
			repl := c.src[sp.Start:sp.End]
			if _, simple := Unparen(first.RHS).(*Binary); simple {
				repl = "(" + repl + ")"
			}
			var edits []analysis.Edit
			for _, u := range uses {
				if inSpan(reader.Pred.NodeSpan(), u.Span.Start) {
					edits = append(edits, analysis.Edit{Span: u.Span, NewText: repl})
				}
			}
			f.Message += "; the predicate runs before the body: it reads " + repl
			f.Fixes = append(f.Fixes, analysis.Fix{Title: "Read " + repl + " in the predicate", Edits: edits})
			continue
		}
		var writers []*Probe
		for _, p := range c.file.Probes {
			if p == reader {
				continue
			}
			if _, a := varUses(p, name); a != nil {
				writers = append(writers, p)
			}
		}
		if len(writers) == 0 {
			continue
		}
		keyed := c.threadContext(reader)
		for _, w := range writers {
			keyed = keyed && c.threadContext(w)
		}
		m := c.freeMapName("@" + name[1:])
		repl := m
		if keyed {
			repl += "[tid]"
		}
		var edits []analysis.Edit
		for _, p := range append(writers, reader) {
			us, _ := varUses(p, name)
			for _, u := range us {
				edits = append(edits, analysis.Edit{Span: u.Span, NewText: repl})
			}
		}
		if keyed && reader.Body != nil && reader.Body.Span.End > 0 {
			end := reader.Body.Span.End - 1 // the closing brace
			if end < len(c.src) && c.src[end] == '}' {
				edits = append(edits, analysis.Edit{Span: analysis.Span{Start: end, End: end}, NewText: "\tdelete(" + repl + ");\n"})
			}
		}
		sort.Slice(edits, func(i, j int) bool { return edits[i].Span.Start < edits[j].Span.Start })
		line := analysis.NewLineIndex(c.src).Position(writers[0].Span.Start).Line + 1
		f.Message += fmt.Sprintf("; it is set in another probe (line %d), and a scratch variable lives in one probe: keep the value in a map, %s", line, repl)
		f.Fixes = append(f.Fixes, analysis.Fix{Title: "Keep " + name + " in " + repl, Edits: edits})
	}
}

func inSpan(sp analysis.Span, off int) bool { return sp.Start <= off && off < sp.End }

// pure tells whether e can be read twice with the same result and no
// effect: builtins, fields, literals, operators and str().
func pure(e Expr) bool {
	ok := true
	Walk(e, func(n Node) {
		switch x := n.(type) {
		case *Assign, *BlockExpr, *BadExpr:
			ok = false
		case *Call:
			if x.Name != "str" {
				ok = false
			}
		case *Unary:
			if strings.Contains(x.Op, "++") || strings.Contains(x.Op, "--") {
				ok = false
			}
		}
	})
	return ok
}

// threadContext tells whether every attach point of p runs in the
// context of the thread that made the event.
func (c *checker) threadContext(p *Probe) bool {
	for _, ap := range p.Attach {
		if !threadProbes[kb.BpftraceProbeTypes[ap.Type]] {
			return false
		}
	}
	return len(p.Attach) > 0
}

// freeMapName is name, or name with a suffix when the script already
// uses a map of that name.
func (c *checker) freeMapName(name string) string {
	used := map[string]bool{}
	for _, p := range c.file.Probes {
		visit := func(n Node) {
			if m, ok := n.(*MapRef); ok {
				used[m.Name] = true
			}
		}
		if p.Pred != nil {
			Walk(p.Pred, visit)
		}
		if p.Body != nil {
			Walk(p.Body, visit)
		}
	}
	for i := 0; ; i++ {
		cand := name
		if i > 0 {
			cand = fmt.Sprintf("%s_%d", name, i)
		}
		if !used[cand] {
			return cand
		}
	}
}

// providedFix adds the fix to a builtin the probe does not provide:
// retval in a sys_exit tracepoint is args.ret; retval in a kprobe or
// uprobe is read in its return probe; args->NAME in a kprobe is the
// argN of the function's NAME parameter.
func (c *checker) providedFix(f analysis.Finding, x *Ident, kind string) analysis.Finding {
	p := c.probe
	if p == nil || len(p.Attach) != 1 || c.k == nil {
		return f
	}
	ap := p.Attach[0]
	switch {
	case x.Name == "retval" && kind == "tracepoint" && len(ap.Parts) == 2:
		tp, ok := c.k.Tracepoint(ap.Parts[0], ap.Parts[1])
		if !ok {
			return f
		}
		for _, fd := range tp.Fields {
			if fd.Name == "ret" {
				repl := "args.ret"
				if !kb.VersionAtLeast(c.version, argsStructSince) {
					repl = "args->ret"
				}
				return f.WithFix("Replace with "+repl, x.Span, repl)
			}
		}
	case x.Name == "retval" && (kind == "kprobe" || kind == "uprobe"):
		usesArgs := false
		if p.Body != nil {
			Walk(p.Body, func(n Node) {
				if id, ok := n.(*Ident); ok && (argN.MatchString(id.Name) || id.Name == "args") {
					usesArgs = true
				}
			})
		}
		if usesArgs {
			return f // the arguments are gone in the return probe
		}
		ret := "kretprobe"
		if kind == "uprobe" {
			ret = "uretprobe"
		}
		typeSpan := analysis.Span{Start: ap.Span.Start, End: ap.Span.Start + len(ap.Type)}
		f.Message += "; read it in " + ret + ":" + strings.Join(ap.Parts, ":")
		return f.WithFix("Probe the return with "+ret, typeSpan, ret)
	case x.Name == "args" && kind == "kprobe" && len(ap.Parts) > 0 && p.Body != nil:
		fn, ok := c.k.Func(ap.Parts[len(ap.Parts)-1])
		if !ok {
			return f
		}
		var fix analysis.Finding
		found := false
		Walk(p.Body, func(n Node) {
			fa, ok := n.(*FieldAccess)
			if !ok || found {
				return
			}
			if id, ok := Unparen(fa.X).(*Ident); !ok || id.Span != x.Span {
				return
			}
			for i, prm := range fn.Params {
				if prm.Name == fa.Name {
					repl := fmt.Sprintf("arg%d", i)
					fix = f.WithFix("Replace with "+repl, fa.Span, repl)
					fix.Message += fmt.Sprintf("; %s is %s's parameter %d, %s", fa.Name, fn.Name, i, repl)
					found = true
				}
			}
		})
		if found {
			return fix
		}
	}
	return f
}

// deleteWhole flags delete(@m) on a map with keys: delete removes one
// element; clear(@m) empties the map.
func (c *checker) deleteWhole(x *Call) {
	m, ok := Unparen(x.Args[0]).(*MapRef)
	if !ok || len(m.Keys) > 0 || !c.keyedMap(m.Name) {
		return
	}
	c.add(analysis.New(analysis.KG206, x.Span, fmt.Sprintf("delete(%s) names no element of a map with keys: delete(%s[key]) removes one, clear(%s) empties it", m.Name, m.Name, m.Name)).
		WithFix("Replace with clear("+m.Name+")", x.Span, "clear("+m.Name+")"))
}

// keyedMap tells whether the script uses map name with keys.
func (c *checker) keyedMap(name string) bool {
	keyed := false
	for _, p := range c.file.Probes {
		visit := func(n Node) {
			if m, ok := n.(*MapRef); ok && m.Name == name && len(m.Keys) > 0 {
				keyed = true
			}
		}
		if p.Pred != nil {
			Walk(p.Pred, visit)
		}
		if p.Body != nil {
			Walk(p.Body, visit)
		}
	}
	return keyed
}

// strOfString flags str() of a value that is already a string, which
// releases before 0.25 refuse. Tracepoint char arrays are strOfArray's.
func (c *checker) strOfString(x *Call, st *valueState) {
	if x.Name != "str" || len(x.Args) == 0 || kb.VersionAtLeast(c.version, strOfStringUntil) {
		return
	}
	arg := x.Args[0]
	if _, field := Unparen(arg).(*FieldAccess); field || c.kindOf(arg, st) != vkStr {
		return
	}
	txt := c.src[arg.NodeSpan().Start:arg.NodeSpan().End]
	c.add(analysis.New(analysis.KG406, x.Span, fmt.Sprintf("%s is already a string: str() reads one from a pointer, and takes a string only from bpftrace %s (checking against %s)", txt, strOfStringUntil, c.version)).
		WithFix("Use "+txt+" as it is", x.Span, txt))
}

// aggOfString flags an aggregation of a string (hist(comm)): they take
// numbers. Counting events per string is a count() keyed by it.
func (c *checker) aggOfString(a *Assign, st *valueState) {
	call, ok := Unparen(a.RHS).(*Call)
	if !ok || len(call.Args) == 0 || call.Name == "count" {
		return
	}
	if f, ok := c.spec.Function(call.Name); !ok || !f.Agg {
		return
	}
	arg := call.Args[0]
	if c.kindOf(arg, st) != vkStr {
		return
	}
	txt := c.src[arg.NodeSpan().Start:arg.NodeSpan().End]
	f := analysis.New(analysis.KG406, call.Span, fmt.Sprintf("%s() takes numbers and %s is a string: count per %s with a map keyed by it", call.Name, txt, txt))
	if m, ok := Unparen(a.LHS).(*MapRef); ok && a.Op == "=" && (call.Name == "hist" || call.Name == "lhist") {
		var keys []string
		for _, k := range m.Keys {
			keys = append(keys, c.src[k.NodeSpan().Start:k.NodeSpan().End])
		}
		keys = append(keys, txt)
		repl := m.Name + "[" + strings.Join(keys, ", ") + "] = count()"
		f = f.WithFix("Count per "+txt, a.Span, repl)
	}
	c.add(f)
}

// convFix adds a fix that replaces the conversion letter of argument i
// of a format literal.
func (c *checker) convFix(f analysis.Finding, lit *StrLit, i int, letter string) analysis.Finding {
	if sp, ok := c.convSpan(lit, i); ok {
		return f.WithFix("Use %"+letter, sp, letter)
	}
	return f
}

// convSpan is the span of the conversion letter of the i-th conversion
// of a format literal, read from the source (escapes kept).
func (c *checker) convSpan(lit *StrLit, i int) (analysis.Span, bool) {
	start, end := lit.Span.Start+1, lit.Span.End-1
	if start > end || end > len(c.src) || c.src[lit.Span.Start] != '"' {
		return analysis.Span{}, false
	}
	raw := c.src[start:end]
	n := 0
	for j := 0; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
			continue
		case '%':
		default:
			continue
		}
		k := j + 1
		if k < len(raw) && raw[k] == '%' {
			j = k
			continue
		}
		for k < len(raw) && strings.IndexByte("-+ #0123456789.*hlLqjzt", raw[k]) >= 0 {
			k++
		}
		if k >= len(raw) {
			return analysis.Span{}, false
		}
		if n == i {
			return analysis.Span{Start: start + k, End: start + k + 1}, true
		}
		n++
		j = k
	}
	return analysis.Span{}, false
}

// aggReadFix: a map of count() or sum() read in arithmetic on a release
// that cannot read aggregations in the kernel is a plain counter: @m++
// for count(), @m += x for sum(x), at every assignment of the map.
func (c *checker) aggReadFix(f analysis.Finding, name string) analysis.Finding {
	var edits []analysis.Edit
	ok := true
	for _, p := range c.file.Probes {
		if p.Body == nil {
			continue
		}
		Walk(p.Body, func(n Node) {
			a, isA := n.(*Assign)
			if !isA {
				return
			}
			m, isM := Unparen(a.LHS).(*MapRef)
			if !isM || m.Name != name {
				return
			}
			call, isC := Unparen(a.RHS).(*Call)
			lhs := c.src[m.Span.Start:m.Span.End]
			switch {
			case a.Op == "=" && isC && call.Name == "count" && len(call.Args) == 0:
				edits = append(edits, analysis.Edit{Span: a.Span, NewText: lhs + "++"})
			case a.Op == "=" && isC && call.Name == "sum" && len(call.Args) == 1:
				sp := call.Args[0].NodeSpan()
				edits = append(edits, analysis.Edit{Span: a.Span, NewText: lhs + " += " + c.src[sp.Start:sp.End]})
			default:
				ok = false
			}
		})
	}
	if !ok || len(edits) == 0 {
		return f
	}
	f.Message += fmt.Sprintf("; or count with %s++ (sum with +=), a plain value it reads", name)
	f.Fixes = append(f.Fixes, analysis.Fix{Title: "Keep a plain counter in " + name, Edits: edits})
	return f
}

// syntaxFixes adds fixes to the syntax errors models make most: a
// statement without its semicolon, an if whose body has no braces.
func syntaxFixes(src string, fs []analysis.Finding) []analysis.Finding {
	for i := range fs {
		f := &fs[i]
		if f.Code != analysis.KG100 || len(f.Fixes) > 0 || f.Span.Start > len(src) {
			continue
		}
		switch {
		case strings.HasPrefix(f.Message, "expected ';' or '}' after the statement"):
			// After the end of the previous statement, before a comment
			// on its line.
			j := f.Span.Start
			for j > 0 && strings.ContainsRune(" \t\r\n", rune(src[j-1])) {
				j--
			}
			ls := strings.LastIndexByte(src[:j], '\n') + 1
			if k := strings.Index(src[ls:j], "//"); k >= 0 {
				j = ls + k
				for j > ls && (src[j-1] == ' ' || src[j-1] == '\t') {
					j--
				}
			}
			if j == 0 || j <= ls && ls > 0 && strings.TrimSpace(src[ls:j]) == "" {
				continue
			}
			f.Fixes = append(f.Fixes, analysis.Fix{Title: "Insert ';'", Edits: []analysis.Edit{{Span: analysis.Span{Start: j, End: j}, NewText: ";"}}})
		case f.Message == "expected '{' after if (...)":
			end := statementEnd(src, f.Span.Start)
			if end < 0 {
				continue
			}
			f.Fixes = append(f.Fixes, analysis.Fix{Title: "Put the statement in braces", Edits: []analysis.Edit{
				{Span: analysis.Span{Start: f.Span.Start, End: f.Span.Start}, NewText: "{ "},
				{Span: analysis.Span{Start: end, End: end}, NewText: " }"},
			}})
		}
	}
	return fs
}

// statementEnd is the offset after the ';' that ends the statement at
// start (outside strings and brackets), or -1.
func statementEnd(src string, start int) int {
	depth := 0
	for j := start; j < len(src); j++ {
		switch src[j] {
		case '"':
			for j++; j < len(src) && src[j] != '"'; j++ {
				if src[j] == '\\' {
					j++
				}
			}
		case '(', '[', '{':
			depth++
		case ')', ']':
			depth--
		case '}':
			if depth == 0 {
				return -1
			}
			depth--
		case ';':
			if depth == 0 {
				return j + 1
			}
		case '\n':
			if depth == 0 {
				return -1
			}
		}
	}
	return -1
}

// floatConversions flags %f, %e, %g and %a: bpftrace has no floating
// point (0.17 to 0.23 do not even count them as conversions, so the
// argument is one too many). The fix prints an integer.
func (c *checker) floatConversions(x *Call, lit *StrLit, convs []byte) bool {
	found := false
	for i, conv := range convs {
		if strings.IndexByte("fFeEgGaA", conv) < 0 {
			continue
		}
		found = true
		f := analysis.New(analysis.KG504, lit.Span, fmt.Sprintf("%%%c: bpftrace has no floating point; print an integer with %%d (scaled, x * 100 / y, for decimals)", conv))
		if sp, start, ok := c.convSpec(lit, i); ok {
			f = f.WithFix("Print an integer with %d", analysis.Span{Start: start, End: sp.End}, "%d")
		}
		c.add(f)
	}
	return found
}

// printAgg flags an aggregation map printed with printf: no release
// prints one with an integer conversion, and none before 0.24 with %s.
// Releases that read count, sum, min and max (avg from 0.22) in the
// kernel print (int64)@m; otherwise print(@m) prints it.
func (c *checker) printAgg(x *Call, arg Expr, conv byte, i int, lit *StrLit) bool {
	m, ok := Unparen(arg).(*MapRef)
	if !ok || conv == 's' && kb.VersionAtLeast(c.version, "0.24") {
		return false
	}
	fn := c.mapKinds[m.Name].fn
	if fn == "" {
		return false
	}
	sp := arg.NodeSpan()
	txt := c.src[sp.Start:sp.End]
	f := analysis.New(analysis.KG504, sp, fmt.Sprintf("%s holds %s(), an aggregation printf cannot print with %%%c", txt, fn, conv))
	switch {
	case c.aggReadable(m.Name):
		f.Message += ": read its value as (int64)" + txt
		f = f.WithFix("Read it as (int64)"+txt, sp, "(int64)"+txt)
		if conv == 's' {
			if cs, ok := c.convSpan(lit, i); ok {
				f.Fixes[0].Edits = append([]analysis.Edit{{Span: cs, NewText: "d"}}, f.Fixes[0].Edits...)
			}
		}
	case len(x.Args) == 2:
		f.Message += ": print(" + txt + ") prints it"
		f = f.WithFix("Print it with print()", x.Span, "print("+txt+")")
	default:
		f.Message += ": print(" + txt + ") prints it"
	}
	c.add(f)
	return true
}

// convSpec is convSpan with the offset of the conversion's '%'.
func (c *checker) convSpec(lit *StrLit, i int) (analysis.Span, int, bool) {
	sp, ok := c.convSpan(lit, i)
	if !ok {
		return sp, 0, false
	}
	start := strings.LastIndexByte(c.src[:sp.Start], '%')
	if start < lit.Span.Start {
		return sp, 0, false
	}
	return sp, start, true
}

// clearElement flags clear(@m[k]) and zero(@m[k]): they take a whole
// map; delete(@m[k]) removes one element.
func (c *checker) clearElement(x *Call) {
	if len(x.Args) != 1 {
		return
	}
	m, ok := Unparen(x.Args[0]).(*MapRef)
	if !ok || len(m.Keys) == 0 {
		return
	}
	txt := c.src[m.Span.Start:m.Span.End]
	c.add(analysis.New(analysis.KG206, x.Span, fmt.Sprintf("%s() takes a whole map, not an element: %s(%s) empties it, delete(%s) removes one element", x.Name, x.Name, m.Name, txt)).
		WithFix("Replace with delete("+txt+")", x.Span, "delete("+txt+")"))
}

// regContext flags reg() in tracepoint probes: their context is the
// tracepoint's record, not the registers.
func (c *checker) regContext(x *Call) {
	p := c.probe
	if p == nil {
		return
	}
	for _, ap := range p.Attach {
		if kb.BpftraceProbeTypes[ap.Type] == "tracepoint" {
			c.add(analysis.New(analysis.KG202, x.NameSpan, "reg() reads registers, which tracepoint probes do not have: read the tracepoint's fields, args.FIELD (args->FIELD on 0.17)"))
			return
		}
	}
}

// stringCondition flags a string literal as an operand of && or ||
// (comm == "bash" || "zsh"): a string is no condition. The fix compares
// it as the other side does.
func (c *checker) stringCondition(x *Binary, st *valueState) {
	if x.Op != "&&" && x.Op != "||" {
		return
	}
	for _, pair := range [][2]Expr{{x.R, x.L}, {x.L, x.R}} {
		lit, ok := Unparen(pair[0]).(*StrLit)
		if !ok {
			continue
		}
		f := analysis.New(analysis.KG406, lit.Span, fmt.Sprintf("a string is not a condition: %s %s %s does not compare %s with anything", c.text(x.L), x.Op, c.text(x.R), c.src[lit.Span.Start:lit.Span.End]))
		if cmp, ok := Unparen(pair[1]).(*Binary); ok && (cmp.Op == "==" || cmp.Op == "!=") {
			subject := cmp.L
			if _, lit := Unparen(subject).(*StrLit); lit {
				subject = cmp.R
			}
			repl := c.src[subject.NodeSpan().Start:subject.NodeSpan().End] + " " + cmp.Op + " " + c.src[lit.Span.Start:lit.Span.End]
			f.Message += ": write " + repl
			f = f.WithFix("Compare: "+repl, lit.Span, repl)
		}
		c.add(f)
		return
	}
}

// ternaryKinds flags a ternary whose branches are a string and an
// integer: both branches must have one type.
func (c *checker) ternaryKinds(x *Ternary, st *valueState) {
	a, b := c.kindOf(x.Then, st), c.kindOf(x.Else, st)
	if a != "" && b != "" && a != b && (a == vkStr && b == vkInt || a == vkInt && b == vkStr) {
		c.add(analysis.New(analysis.KG406, x.Span, fmt.Sprintf("the branches of ?: are %s and %s: both must have one type", article(a), article(b))))
	}
}

// stackArgOrder flags kstack(5, perf): the mode comes first.
func (c *checker) stackArgOrder(x *Call) {
	if len(x.Args) != 2 {
		return
	}
	if _, ok := Unparen(x.Args[0]).(*IntLit); !ok {
		return
	}
	a, b := x.Args[0].NodeSpan(), x.Args[1].NodeSpan()
	repl := x.Name + "(" + c.src[b.Start:b.End] + ", " + c.src[a.Start:a.End] + ")"
	c.add(analysis.New(analysis.KG206, x.Span, fmt.Sprintf("%s takes the stack mode first, then the number of frames: %s", x.Name, repl)).
		WithFix("Write "+repl, x.Span, repl))
}

// keysFix completes the keys of a map used with fewer keys than its
// first use: when the keys written match the first use's first keys, the
// rest are builtins (pid, comm, ...) every probe has, written as there.
func (c *checker) keysFix(f analysis.Finding, m *MapRef, first analysis.Span) analysis.Finding {
	var firstRef *MapRef
	for _, p := range c.file.Probes {
		visit := func(n Node) {
			if r, ok := n.(*MapRef); ok && r.Span == first {
				firstRef = r
			}
		}
		if p.Pred != nil {
			Walk(p.Pred, visit)
		}
		if p.Body != nil {
			Walk(p.Body, visit)
		}
	}
	if firstRef == nil || len(m.Keys) == 0 || len(m.Keys) >= len(firstRef.Keys) {
		return f
	}
	var keys []string
	for i, k := range firstRef.Keys {
		txt := c.src[k.NodeSpan().Start:k.NodeSpan().End]
		if i < len(m.Keys) {
			if c.src[m.Keys[i].NodeSpan().Start:m.Keys[i].NodeSpan().End] != txt {
				return f
			}
		} else if id, ok := Unparen(k).(*Ident); !ok || !c.spec.Builtin(id.Name) || argN.MatchString(id.Name) || id.Name == "args" || id.Name == "retval" {
			return f
		}
		keys = append(keys, txt)
	}
	repl := m.Name + "[" + strings.Join(keys, ", ") + "]"
	f.Message += ": write " + repl
	return f.WithFix("Write "+repl, m.Span, repl)
}

// letFix: before let, a variable is declared by its first assignment:
// drop the let of let $x = v.
func (c *checker) letFix(name string, f analysis.Finding) analysis.Finding {
	sp := f.Span
	if name != "let" || sp.End > len(c.src) || c.src[sp.Start:sp.End] != "let" {
		return f
	}
	end := sp.End
	for end < len(c.src) && (c.src[end] == ' ' || c.src[end] == '\t') {
		end++
	}
	rest := c.src[end:]
	if !strings.HasPrefix(rest, "$") {
		return f
	}
	j := 1
	for j < len(rest) && (rest[j] == '_' || rest[j] >= 'a' && rest[j] <= 'z' || rest[j] >= 'A' && rest[j] <= 'Z' || rest[j] >= '0' && rest[j] <= '9') {
		j++
	}
	if t := strings.TrimLeft(rest[j:], " \t"); !strings.HasPrefix(t, "=") || strings.HasPrefix(t, "==") {
		return f // let $x; or let $x: type = v
	}
	return f.WithFix("Drop let", analysis.Span{Start: sp.Start, End: end}, "")
}

// forPrintFix: a for loop over a map whose body only prints the key and
// the value (printf of $kv.0 and $kv.1) is print(@m) on releases
// without for.
func (c *checker) forPrintFix(f analysis.Finding) analysis.Finding {
	var loop *LoopStmt
	for _, p := range c.file.Probes {
		if p.Body == nil {
			continue
		}
		Walk(p.Body, func(n Node) {
			if l, ok := n.(*LoopStmt); ok && l.Kind == "for" && l.Span.Start == f.Span.Start {
				loop = l
			}
		})
	}
	if loop == nil || len(loop.Head) != 2 || loop.Body == nil || len(loop.Body.Stmts) != 1 {
		return f
	}
	kv, ok1 := Unparen(loop.Head[0]).(*Var)
	m, ok2 := Unparen(loop.Head[1]).(*MapRef)
	es, ok3 := loop.Body.Stmts[0].(*ExprStmt)
	if !ok1 || !ok2 || !ok3 || len(m.Keys) > 0 {
		return f
	}
	call, ok := es.X.(*Call)
	if !ok || call.Name != "printf" {
		return f
	}
	only := true
	for _, a := range call.Args[1:] {
		Walk(a, func(n Node) {
			switch y := n.(type) {
			case *Var:
				only = only && y.Name == kv.Name
			case *Call, *MapRef, *Ident:
				only = false
			}
		})
	}
	if !only {
		return f
	}
	f.Message += "; this loop prints each element, which print(" + m.Name + ") does"
	return f.WithFix("Replace with print("+m.Name+")", loop.Span, "print("+m.Name+");")
}
