package bpftrace

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// Options for Check.
type Options struct {
	KB *kb.KB
	// Version is the bpftrace version to check against; "" means the
	// installed one (or the newest known when none is installed).
	Version string
	// Path is the script's path and IncludePaths the configured include
	// directories: with the system headers, where its includes may be
	// read from (include.go).
	Path         string
	IncludePaths []string
}

// Check parses and checks a script.
func Check(src string, opts Options) []analysis.Finding {
	fs, _ := CheckContext(context.Background(), src, opts)
	return fs
}

// CheckContext is Check that stops soon after ctx ends; it then returns
// the findings made so far and ctx's error.
func CheckContext(ctx context.Context, src string, opts Options) ([]analysis.Finding, error) {
	f, findings := parse(ctx, src)
	findings = syntaxFixes(src, findings)
	if err := ctx.Err(); err != nil {
		return findings, err
	}
	c := &checker{ctx: ctx, src: src, file: f, k: opts.KB, version: kb.BpftraceMajorMinor(opts.Version), path: opts.Path}
	c.inc = includeScope(opts)
	if c.version == "" {
		c.version = InstalledVersion()
	}
	c.spec = kb.BpftraceSpec(c.version)
	guessed := c.version == ""
	c.version = c.spec.Version
	c.run()
	if guessed {
		// No release was given and none is installed: say which release
		// the findings assume.
		note := fmt.Sprintf("no bpftrace release was given or found: checked against the newest known, %s", c.spec.Version)
		for i := range c.out {
			c.out[i] = c.out[i].WithNote(note)
		}
	}
	return append(findings, c.out...), c.err
}

// InstalledVersion is the version ("0.17") of the bpftrace in PATH, or ""
// when none is installed. It is detected once per binary and cached by
// the kb (kb.BpftraceBinaryVersion): checks start no process.
func InstalledVersion() string {
	v, err := kb.BpftraceBinaryVersion("bpftrace")
	if err != nil {
		return ""
	}
	return v
}

type checker struct {
	ctx     context.Context
	err     error // ctx's error once the check noticed it ended
	ticks   int
	src     string
	file    *File
	k       *kb.KB
	version string
	path    string // the script's path, "" when unknown
	spec    *kb.BTSpec
	out     []analysis.Finding
	// maps: name -> aggregation (true) / value (false) first seen
	mapKinds map[string]mapUse
	inc      kb.IncludeScope // where includes may be read from
	// typeArgs are identifiers that name a type or a mode, not a
	// builtin: sizeof(int), kstack(perf), offsetof(struct s, field).
	typeArgs map[int]bool
	probe    *Probe // the probe being checked
	// types memoizes typeOf in one probe until a variable's type
	// changes: a field chain asks for the type of every link.
	types map[Expr]*ctype
	// includes caches hasIncludes (0: not yet known, 1 no, 2 yes).
	includes int
}

// alive reports whether the check should go on, looking at ctx every so
// many calls; once ctx has ended it stays false.
func (c *checker) alive() bool {
	if c.err != nil {
		return false
	}
	if c.ticks++; c.ticks&255 == 0 {
		c.err = c.ctx.Err()
	}
	return c.err == nil
}

// walk walks n with visit while the check is alive.
func (c *checker) walk(n Node, visit func(Node)) {
	walk(n, func(n Node) bool {
		visit(n)
		return c.alive()
	})
}

type mapUse struct {
	agg  bool
	span analysis.Span
	fn   string
}

func (c *checker) add(f analysis.Finding) { c.out = append(c.out, f) }

func (c *checker) run() {
	c.mapKinds = map[string]mapUse{}
	c.typeArgs = map[int]bool{}
	c.features()
	c.checkIncludes()
	c.undefinedMaps()
	st := &valueState{maps: map[string]*mapSig{}}
	for _, p := range c.file.Probes {
		kinds := map[string]bool{}
		var absent [][]int // per attach point: its findings that say the target is missing
		for _, ap := range p.Attach {
			if !c.alive() {
				return
			}
			before := len(c.out)
			kinds[c.attach(ap)] = true
			var missing []int
			for i := before; i < len(c.out); i++ {
				if missingTarget[c.out[i].Code] && c.out[i].Severity == analysis.Error {
					missing = append(missing, i)
				}
			}
			absent = append(absent, missing)
		}
		c.providedFor(absent)
		c.probe = p
		c.body(p, kinds)
		c.values(p, st)
	}
	c.releaseRules()
	c.idioms()
}

// missingTarget are the codes that say an attach point's target is not
// on the target kernel or machine.
var missingTarget = map[string]bool{analysis.KG302: true, analysis.KG304: true, analysis.KG305: true, analysis.KG306: true, analysis.KG307: true}

// providedFor turns the missing-target errors of a probe's attach points
// into warnings when another attach point of the same probe resolves:
// bpftrace attaches what exists and only warns about the rest, which is
// how scripts provide for kernels that renamed a function
// (kprobe:blk_account_io_start, kprobe:__blk_account_io_start).
func (c *checker) providedFor(absent [][]int) {
	if len(absent) < 2 {
		return
	}
	resolves := false
	for _, a := range absent {
		resolves = resolves || len(a) == 0
	}
	if !resolves {
		return
	}
	for _, a := range absent {
		for _, i := range a {
			c.out[i].Severity = analysis.Warning
			c.out[i].Notes = append(c.out[i].Notes, "another attach point of this probe exists: bpftrace attaches that one and skips this one with a warning")
		}
	}
}

var featureText = map[string]string{
	"for":              "for loops over maps are new in bpftrace %s (checking against %s); use unroll or while",
	"for-range":        "for loops over ranges are new in bpftrace %s (checking against %s); use unroll or while",
	"config":           "config blocks are new in bpftrace %s (checking against %s); set BPFTRACE_* environment variables instead",
	"let":              "let declarations are new in bpftrace %s (checking against %s); assign the variable instead",
	"macro":            "macros are new in bpftrace %s (checking against %s); use #define",
	"import":           "imports are new in bpftrace %s (checking against %s); use #include",
	"map-decl":         "map declarations (let @m = hash(N)) are new in bpftrace %s (checking against %s); assign the map in a probe instead",
	"if-noparen":       "if without parentheses is new in bpftrace %s (checking against %s): write if (...)",
	"duration":         "duration literals are new in bpftrace %s (checking against %s): write the number of nanoseconds",
	"block-expr":       "block expressions are new in bpftrace %s (checking against %s)",
	"record":           "records (a = 1, b = 2) are new in bpftrace %s (checking against %s): use a tuple",
	"addr-of":          "the address-of operator & is new in bpftrace %s (checking against %s)",
	"elvis":            "a ?: b is new in bpftrace %s (checking against %s): write a ? a : b",
	"block-semicolon":  "a ';' after the '}' of an if or a block is new in bpftrace %s (checking against %s): remove it",
	"upper-int-suffix": "bpftrace %s refuses upper-case integer suffixes: write them in lower case (7ll, 3ull)",
	"array-cast":       "casts to an integer array are new in bpftrace %s (checking against %s)",
	"colon-glued":      "bpftrace before %s reads ':' and the word after it as one token (checking against %s): put a space after the ':'",
	"unroll-expr":      "unroll counts other than an integer or a positional parameter are new in bpftrace %s (checking against %s): write the number",
	"struct-words":     "bpftrace %s takes one name after struct, union or enum in a type",
	"tuple-comma":      "empty tuples and a comma before a tuple's ')' are new in bpftrace %s (checking against %s)",
}

// features flags constructs the checked bpftrace version cannot parse.
func (c *checker) features() {
	names := keys(c.file.Features)
	sort.Slice(names, func(i, j int) bool { return c.file.Features[names[i]].Start < c.file.Features[names[j]].Start })
	for _, name := range names {
		if until := kb.BpftraceSyntaxUntil[name]; until != "" && kb.VersionAtLeast(c.version, until) {
			c.add(analysis.New(analysis.KG100, c.file.Features[name], fmt.Sprintf(featureText[name], c.version)))
			continue
		}
		since := kb.BpftraceSyntaxSince[name]
		if since == "" || kb.VersionAtLeast(c.version, since) || name == "if-noparen" {
			continue // if-noparen: reported at each if, with its fix (release.go)
		}
		f := c.letFix(name, analysis.New(analysis.KG100, c.file.Features[name], fmt.Sprintf(featureText[name], since, c.version)))
		if name == "for" {
			f = c.forPrintFix(f)
		}
		c.add(f)
	}
}

// guardActive evaluates the preprocessor condition around a directive as
// bpftrace's preprocessor would on the target: BPFTRACE_HAVE_BTF is
// defined when the kernel has BTF (a kb is built from it), and macros the
// script #defines are defined. Other conditions are unknown.
func (c *checker) guardActive(g string) kb.Tri {
	if g == "" {
		return kb.Yes
	}
	neg := false
	for {
		g = strings.TrimSpace(g)
		switch {
		case strings.HasPrefix(g, "!"):
			neg = !neg
			g = g[1:]
			continue
		case strings.HasPrefix(g, "(") && strings.HasSuffix(g, ")") && isName(strings.TrimSpace(g[1:len(g)-1])):
			g = g[1 : len(g)-1]
			continue
		case strings.HasPrefix(g, "defined"):
			rest := strings.TrimSpace(g[len("defined"):])
			if rest != g[len("defined"):] || strings.HasPrefix(rest, "(") {
				g = strings.Trim(rest, "() \t")
				continue
			}
		}
		break
	}
	if !isName(g) {
		return kb.Unknown
	}
	var defined bool
	switch _, local := c.file.Macros[g]; {
	case local:
		defined = true
	case g == "BPFTRACE_HAVE_BTF":
		defined = c.k != nil
	default:
		return kb.Unknown
	}
	if defined != neg {
		return kb.Yes
	}
	return kb.No
}

func (c *checker) nearestOf(list []string, name string) string {
	if n := kb.Nearest(list, name, 1); len(n) > 0 {
		return n[0]
	}
	return ""
}

func keys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// attach checks one attach point and returns its canonical probe type.
func (c *checker) attach(ap *AttachPoint) string {
	typeSpan := analysis.Span{Start: ap.Span.Start, End: ap.Span.Start + len(ap.Type)}
	pt, ok := c.spec.ProbeType(ap.Type)
	if !ok {
		if canon, other := kb.BpftraceProbeTypes[ap.Type]; other {
			c.otherVersionProbe(ap, canon, typeSpan)
			return canon
		}
		msg := fmt.Sprintf("unknown probe type %s", ap.Type)
		f := analysis.New(analysis.KG301, typeSpan, msg)
		if n := c.nearestOf(c.spec.ProbeTypeNames(), ap.Type); n != "" {
			f.Message += "; did you mean " + n
			f = f.WithFix("Replace with "+n, typeSpan, n)
		}
		c.add(f)
		return ""
	}
	typ := pt.Name
	if c.k == nil {
		return typ
	}
	part := func(i int) (string, analysis.Span) {
		if i < len(ap.Parts) {
			return ap.Parts[i], ap.Spans[i]
		}
		return "", ap.Span
	}
	switch typ {
	case "kprobe", "kretprobe":
		fn, sp := part(len(ap.Parts) - 1) // kprobe:mod:fn in newer versions
		if i := strings.IndexByte(fn, '+'); i >= 0 {
			fn = fn[:i]
			sp.End = sp.Start + i
		}
		instead := c.tracepointsInstead()
		if c.k.AttachSupport(kb.AttachFentry).Supported == kb.Yes {
			instead = "use kfunc (fentry) or a tracepoint"
		}
		c.attachSupport(kb.AttachKprobe, ap, "kprobes", instead)
		c.kernelFunc(fn, sp)
	case "kfunc", "kretfunc":
		fn, sp := part(len(ap.Parts) - 1)
		c.attachSupport(kb.AttachFentry, ap, "kfunc (fentry/fexit) probes", c.tracepointsInstead())
		c.kernelFunc(fn, sp)
	case "tracepoint":
		if len(ap.Parts) != 2 {
			c.add(analysis.New(analysis.KG301, ap.Span, "tracepoint probes are written tracepoint:CATEGORY:NAME"))
			return typ
		}
		c.tracepoint(ap)
	case "rawtracepoint":
		name, sp := part(len(ap.Parts) - 1)
		if strings.ContainsAny(name, "*?") {
			return typ
		}
		if c.k.RawTracepoint(name) == kb.No {
			c.add(analysis.Missing(analysis.KG305, sp, "raw tracepoint", name, c.k.Nearest(kb.FamilyRawTP, name, 1)))
		}
	case "uprobe", "uretprobe", "usdt":
		if len(ap.Parts) < 2 {
			c.add(analysis.New(analysis.KG301, ap.Span, fmt.Sprintf("%s probes are written %s:BINARY:SYMBOL", typ, ap.Type)))
			return typ
		}
		bin, bsp := ap.Parts[0], ap.Spans[0]
		if strings.ContainsAny(bin, "*?") || !strings.HasPrefix(bin, "/") {
			return typ
		}
		if c.k.FileExists(bin) == kb.No {
			c.add(analysis.New(analysis.KG306, bsp, fmt.Sprintf("binary %s does not exist on this machine", bin)))
			return typ
		}
		if typ == "usdt" {
			c.usdt(ap)
		}
		if typ != "usdt" {
			sym, ssp := part(len(ap.Parts) - 1)
			if strings.HasPrefix(sym, "0x") || strings.HasPrefix(sym, "*") && strings.Trim(sym, "*") == "" {
				return typ
			}
			if strings.ContainsAny(sym, "*?") {
				if syms, err := c.k.BinarySymbols(bin); err == nil && len(syms) > 0 {
					for s := range syms {
						if kb.Glob(sym, s) {
							return typ
						}
					}
					c.add(analysis.New(analysis.KG307, ssp, fmt.Sprintf("wildcard %s matches no function of %s", sym, bin)))
				}
				return typ
			}
			if i := strings.IndexByte(sym, '+'); i >= 0 {
				sym = sym[:i]
			}
			syms, err := c.k.BinarySymbols(bin)
			if err == nil && len(syms) > 0 {
				if _, ok := syms[sym]; !ok {
					f := analysis.New(analysis.KG306, ssp, fmt.Sprintf("%s has no symbol %s", bin, sym))
					if n := c.nearestOf(keys(syms), sym); n != "" {
						f.Message += "; did you mean " + n
						f = f.WithFix("Replace with "+n, ssp, n)
					}
					c.add(f)
				}
			}
		}
	case "software", "hardware":
		ev, sp := part(0)
		list := kb.BpftraceSoftwareEvents
		if typ == "hardware" {
			list = kb.BpftraceHardwareEvents
		}
		found := false
		for _, e := range list {
			if e == ev {
				found = true
			}
		}
		if !found && ev != "" {
			f := analysis.New(analysis.KG301, sp, fmt.Sprintf("unknown %s event %s", typ, ev))
			if n := c.nearestOf(list, ev); n != "" {
				f.Message += "; did you mean " + n
			}
			c.add(f)
		}
	case "profile", "interval":
		if len(ap.Parts) == 0 {
			c.add(analysis.New(analysis.KG301, ap.Span, fmt.Sprintf("%s probes need a rate, e.g. %s:hz:99 or %s:s:1", typ, ap.Type, ap.Type)))
		}
	}
	return typ
}

// otherVersionProbe reports a probe type of another bpftrace version.
func (c *checker) otherVersionProbe(ap *AttachPoint, canon string, typeSpan analysis.Span) {
	if u := kb.BpftraceProbeUntil[ap.Type]; u != "" && kb.VersionAtLeast(c.version, u) {
		c.add(analysis.New(analysis.KG301, typeSpan, fmt.Sprintf("probe type %s is gone in bpftrace %s (checking against %s): use watchpoint", ap.Type, u, c.version)).
			WithFix("Replace with watchpoint", typeSpan, "watchpoint"))
		return
	}
	since := kb.BpftraceProbeSince[ap.Type]
	if since == "" || kb.VersionAtLeast(c.version, since) {
		c.add(analysis.New(analysis.KG301, typeSpan, fmt.Sprintf("probe type %s is not in bpftrace %s", ap.Type, c.version)))
		return
	}
	msg := fmt.Sprintf("probe type %s is new in bpftrace %s (checking against %s)", ap.Type, since, c.version)
	var alt string
	switch canon {
	case "rawtracepoint":
		msg += "; use tracepoint:CATEGORY:NAME"
	default:
		// A spelling of a type this version has under another name.
		if p, ok := c.spec.ProbeType(canon); ok {
			alt = p.Name
		}
	}
	f := analysis.New(analysis.KG301, typeSpan, msg)
	if alt != "" {
		f.Message += "; use " + alt
		f = f.WithFix("Replace with "+alt, typeSpan, alt)
	}
	c.add(f)
}

// usdt checks usdt:BINARY:[PROVIDER:]NAME against the binary's SDT notes.
func (c *checker) usdt(ap *AttachPoint) {
	bin := ap.Parts[0]
	probes, err := c.k.USDTProbes(bin)
	if err != nil || len(ap.Parts) < 2 {
		return
	}
	name, sp := ap.Parts[len(ap.Parts)-1], ap.Spans[len(ap.Spans)-1]
	provider := ""
	if len(ap.Parts) >= 3 {
		provider = ap.Parts[len(ap.Parts)-2]
	}
	if len(probes) == 0 {
		c.add(analysis.New(analysis.KG306, ap.Spans[0], fmt.Sprintf("%s has no USDT probes", bin)))
		return
	}
	var names []string
	for _, p := range probes {
		if kb.Glob(name, p.Name) && (provider == "" || kb.Glob(provider, p.Provider)) {
			return
		}
		names = append(names, p.Name)
	}
	if strings.ContainsAny(name+provider, "*?") {
		c.add(analysis.New(analysis.KG307, sp, fmt.Sprintf("wildcard %s matches no USDT probe of %s", strings.Join(ap.Parts[1:], ":"), bin)))
		return
	}
	f := analysis.New(analysis.KG306, sp, fmt.Sprintf("%s has no USDT probe %s", bin, strings.Join(ap.Parts[1:], ":")))
	if n := c.nearestOf(names, name); n != "" {
		f.Message += "; did you mean " + n
		f = f.WithFix("Replace with "+n, sp, n)
	}
	c.add(f)
}

// tracepointsInstead names the probe kinds to use instead of kernel
// function probes, as far as the checked bpftrace has them.
func (c *checker) tracepointsInstead() string {
	if _, ok := c.spec.ProbeType("rawtracepoint"); ok {
		return "use a tracepoint or a raw tracepoint"
	}
	return "use a tracepoint"
}

func (c *checker) attachSupport(kind string, ap *AttachPoint, what, instead string) {
	s := c.k.AttachSupport(kind)
	if s.Supported != kb.No {
		return
	}
	f := analysis.New(analysis.KG308, analysis.Span{Start: ap.Span.Start, End: ap.Span.Start + len(ap.Type)},
		fmt.Sprintf("%s are not available on the target kernel; %s", what, instead))
	if s.Reason != "" {
		f = f.WithNote("the kernel: " + s.Reason)
	}
	c.add(f)
}

func (c *checker) kernelFunc(fn string, sp analysis.Span) {
	if fn == "" {
		return
	}
	if strings.ContainsAny(fn, "*?") {
		if m, known := c.k.FuncsMatching(fn, 1); known && len(m) == 0 {
			c.add(analysis.New(analysis.KG307, sp, fmt.Sprintf("wildcard %s matches no kernel function", fn)))
		}
		return
	}
	if _, present := c.k.KernelFunc(fn); present == kb.No {
		c.add(analysis.Missing(analysis.KG302, sp, "kernel function", fn, c.k.Nearest(kb.FamilyFunc, fn, 1)))
	}
}

func (c *checker) tracepoint(ap *AttachPoint) {
	if !c.k.TracepointsKnown() {
		return
	}
	cat, name := ap.Parts[0], ap.Parts[1]
	sp := analysis.Span{Start: ap.Spans[0].Start, End: ap.Spans[1].End}
	if strings.ContainsAny(cat+name, "*?") {
		pattern := cat + ":" + name
		for cat, name := range c.k.TracepointNames() {
			if kb.Glob(pattern, cat+":"+name) {
				return
			}
		}
		c.add(analysis.New(analysis.KG307, sp, fmt.Sprintf("wildcard tracepoint:%s matches no tracepoint", pattern)))
		return
	}
	if _, ok := c.k.Tracepoint(cat, name); ok {
		return
	}
	c.add(analysis.Missing(analysis.KG304, sp, "tracepoint", cat+":"+name, c.k.Nearest(kb.FamilyTracepoint, cat+":"+name, 1)))
}

// argsStructSince is the release that made args a struct (args.f); before
// it args is a pointer (args->f).
const argsStructSince = "0.19"

var argN = regexp.MustCompile(`^s?arg\d+$`)

// body checks the statements of a probe with the probe kinds it runs in.
func (c *checker) body(p *Probe, kinds map[string]bool) {
	locals := map[string]bool{}
	vars := varTypes{}
	c.types = map[Expr]*ctype{}
	visit := func(n Node) {
		switch x := n.(type) {
		case *Assign:
			if id, ok := x.LHS.(*Ident); ok && id.Name == "_" {
				c.typeArgs[id.Span.Start] = true // _ = expr discards
			}
			if v, ok := Unparen(x.LHS).(*Var); ok {
				locals[v.Name] = true
				if x.Op == "=" {
					c.assignVar(v.Name, x.RHS, vars)
				}
			}
			if m, ok := Unparen(x.LHS).(*MapRef); ok {
				c.mapAssign(m, x.RHS)
			}
		case *Call:
			c.call(x, kinds)
		case *Tuple:
			for _, e := range x.Elems {
				if a, ok := e.(*Assign); ok && a.Op == "=" {
					if id, ok := a.LHS.(*Ident); ok {
						c.typeArgs[id.Span.Start] = true // a record field name
					}
				}
			}
		case *Ident:
			c.ident(x, kinds)
		case *FieldAccess:
			c.field(x, kinds)
			c.typedField(x, vars)
		case *Cast:
			c.cast(x)
		}
	}
	if p.Pred != nil {
		c.walk(p.Pred, visit)
	}
	if p.Body != nil {
		c.walk(p.Body, visit)
	}
}

func (c *checker) fnKnown(name string) (kb.BTFunc, bool) {
	return c.spec.Function(name)
}

// stackModes are the output modes kstack and ustack take, with the
// release each appeared in.
var stackModes = map[string]string{"bpftrace": "", "perf": "", "raw": "0.18", "build_id": "0.25"}

func (c *checker) call(x *Call, kinds map[string]bool) {
	for i, a := range x.Args {
		if x.Name == "offsetof" && i == 1 {
			// offsetof(struct T, a.b.c): field names, not builtins.
			Walk(a, func(n Node) {
				if id, ok := n.(*Ident); ok {
					c.typeArgs[id.Span.Start] = true
				}
			})
		}
		id, ok := Unparen(a).(*Ident)
		if !ok {
			continue
		}
		switch x.Name {
		case "kstack", "ustack", "dw_ustack":
			if _, ok := stackModes[id.Name]; i == 1 && ok {
				c.typeArgs[id.Span.Start] = true
				c.stackArgOrder(x)
			}
			if since, ok := stackModes[id.Name]; i == 0 && ok {
				c.typeArgs[id.Span.Start] = true
				if !kb.VersionAtLeast(c.version, since) {
					c.add(analysis.New(analysis.KG201, id.Span, fmt.Sprintf("stack mode %s is new in bpftrace %s (checking against %s); use perf or bpftrace", id.Name, since, c.version)))
				}
			}
		case "sizeof", "offsetof", "typeof", "is_integer", "is_ptr", "is_str", "is_array", "is_unsigned_integer":
			c.typeArgs[id.Span.Start] = true
		case "nsecs", "pid", "tid":
			if i == 0 {
				c.typeArgs[id.Span.Start] = true // nsecs(boot), pid(curr_ns)
			}
		}
	}
	if _, isMacro := c.file.Macros[x.Name]; isMacro || x.Macro {
		return
	}
	if _, imports := c.file.Features["import"]; imports {
		if _, ok := c.fnKnown(x.Name); !ok {
			return // may come from an imported script
		}
	}
	info, ok := c.fnKnown(x.Name)
	if !ok {
		msg := fmt.Sprintf("unknown function %s", x.Name)
		var f analysis.Finding
		if fi, exists := kb.BpftraceFunctions[x.Name]; exists && fi.Since != "" {
			f = analysis.New(analysis.KG201, x.NameSpan, fmt.Sprintf("function %s is new in bpftrace %s (checking against %s)", x.Name, fi.Since, c.version))
			f = c.olderSpelling(f, x)
		} else if h, ok := kb.BpftraceHints[x.Name]; ok {
			f = analysis.New(analysis.KG201, x.NameSpan, msg+": "+h)
			if strings.HasPrefix(h, "hist(") {
				f = f.WithFix("Replace with hist", x.NameSpan, "hist")
			}
		} else {
			names := c.spec.FunctionNames()
			f = analysis.New(analysis.KG201, x.NameSpan, msg)
			if n := c.nearestOf(names, x.Name); n != "" {
				f.Message += "; did you mean " + n
				f = f.WithFix("Replace with "+n, x.NameSpan, n)
			}
		}
		c.add(f)
		return
	}
	for _, a := range x.Args {
		if _, bad := a.(*BadExpr); bad {
			return // a syntax error is already reported here
		}
	}
	if len(x.Args) < info.Min || (info.Max >= 0 && len(x.Args) > info.Max) {
		want := fmt.Sprintf("%d", info.Min)
		switch {
		case info.Max < 0:
			want = fmt.Sprintf("at least %d", info.Min)
		case info.Max != info.Min:
			want = fmt.Sprintf("%d to %d", info.Min, info.Max)
		}
		f := analysis.New(analysis.KG206, x.Span, fmt.Sprintf("%s takes %s argument(s), got %d", x.Name, want, len(x.Args)))
		if info.Max == 0 {
			// count(pid): count() counts events; sum(x) adds values.
			f = f.WithFix("Call "+x.Name+"() without arguments", x.Span, x.Name+"()")
		}
		c.add(f)
	}
	if info.Unsafe {
		c.add(analysis.New(analysis.KG503, x.NameSpan, fmt.Sprintf("%s is an unsafe builtin: bpftrace refuses it without --unsafe, and kgent never enables it", x.Name)))
	}
	if x.Name == "str" && len(x.Args) > 0 {
		c.strOfArray(x)
	}
	if info.Format && len(x.Args) > 0 {
		if s, ok := Unparen(x.Args[0]).(*StrLit); ok {
			n, bad := countConversions(s.Value)
			if bad != "" {
				c.add(analysis.New(analysis.KG504, s.Span, fmt.Sprintf("%s format has an invalid conversion %s", x.Name, bad)))
			} else if n != len(x.Args)-1 {
				c.add(analysis.New(analysis.KG504, x.Span, fmt.Sprintf("%s format has %d conversion(s) but %d argument(s) follow", x.Name, n, len(x.Args)-1)))
			}
		}
	}
}

// strOfArray flags str() of a fixed-size char array tracepoint field,
// which bpftrace refuses: the field is already a string.
func (c *checker) strOfArray(x *Call) {
	fa, ok := Unparen(x.Args[0]).(*FieldAccess)
	if !ok || c.k == nil {
		return
	}
	if id, ok := Unparen(fa.X).(*Ident); !ok || id.Name != "args" {
		return
	}
	if p := c.probe; p != nil && len(p.Attach) == 1 {
		ap := p.Attach[0]
		if kb.BpftraceProbeTypes[ap.Type] != "tracepoint" || len(ap.Parts) != 2 {
			return
		}
		tp, ok := c.k.Tracepoint(ap.Parts[0], ap.Parts[1])
		if !ok {
			return
		}
		for _, f := range tp.Fields {
			if f.Name == fa.Name && strings.HasPrefix(f.Type, "char[") && !strings.HasPrefix(f.Type, "char[]") {
				c.add(analysis.New(analysis.KG406, x.Span, fmt.Sprintf("args->%s is a %s array, already a string: use it without str()", f.Name, f.Type)).
					WithFix("Remove str()", x.Span, c.src[fa.Span.Start:fa.Span.End]))
			}
		}
		return
	}
}

// countConversions counts printf conversions, "" or the first invalid one.
func countConversions(format string) (int, string) {
	convs, bad := conversions(format)
	return len(convs), bad
}

// conversions lists the conversion letters of a printf format, and the
// first invalid conversion ("" when all are valid).
func conversions(format string) ([]byte, string) {
	var n []byte
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		j := i + 1
		if j < len(format) && format[j] == '%' {
			i = j
			continue
		}
		for j < len(format) && strings.IndexByte("-+ #0123456789.*", format[j]) >= 0 {
			j++
		}
		for j < len(format) && strings.IndexByte("hlLqjzt", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			return n, format[i:]
		}
		if strings.IndexByte("diouxXcsSpfFeEgGaArK", format[j]) < 0 {
			return n, format[i : j+1]
		}
		n = append(n, format[j])
		i = j
	}
	return n, ""
}

func (c *checker) ident(x *Ident, kinds map[string]bool) {
	name := x.Name
	if kb.BpftraceKeywords[name] || c.typeArgs[x.Span.Start] {
		return
	}
	if _, ok := c.file.Enums[name]; ok {
		return
	}
	if _, ok := c.file.Macros[name]; ok {
		return
	}
	if argN.MatchString(name) || name == "args" || name == "retval" || name == "func" {
		c.provided(x, kinds)
		return
	}
	since, ok := kb.BpftraceBuiltins[name]
	if !ok || !kb.VersionAtLeast(c.version, since) {
		if strings.ToUpper(name) == name {
			return // enum constants and macros from included headers
		}
		if c.k != nil {
			if _, ok := c.k.Type("enum", name); ok {
				return
			}
		}
		if ok {
			c.add(analysis.New(analysis.KG201, x.Span, fmt.Sprintf("builtin %s is new in bpftrace %s (checking against %s)", name, since, c.version)))
			return
		}
		if fi, fn := c.fnKnown(name); fn && fi.Min == 0 {
			// exit; for exit(): a function named without its call.
			c.add(analysis.New(analysis.KG201, x.Span, fmt.Sprintf("%s is a function, not a variable: call it, %s()", name, name)).
				WithFix("Call "+name+"()", x.Span, name+"()"))
			return
		}
		f := analysis.New(analysis.KG201, x.Span, fmt.Sprintf("unknown builtin variable %s", name))
		if h := c.spec.Hint(name); h != "" {
			f.Message += ": " + h
		} else if n := c.nearestOf(c.spec.BuiltinNames(), name); n != "" {
			f.Message += "; did you mean " + n
			f = f.WithFix("Replace with "+n, x.Span, n)
		}
		c.add(f)
	}
}

// provided checks a builtin that only some probe types provide (args,
// argN, sargN, retval, func) against every probe type of the probe.
func (c *checker) provided(x *Ident, kinds map[string]bool) {
	name := x.Name
	ks := keys(kinds)
	sort.Strings(ks)
	for _, k := range ks {
		if k == "" || c.spec.Provides(k, name) {
			continue
		}
		var msg string
		switch {
		case name == "retval":
			msg = "retval is only available in return probes (kretprobe, uretprobe, kretfunc)"
			if k == "tracepoint" {
				msg += "; in a sys_exit tracepoint use args.ret"
			}
		case name == "args":
			msg = fmt.Sprintf("args is not available in %s probes", k)
			if p, _ := c.spec.ProbeType(k); p != nil && p.ArgN {
				msg += ": use arg0, arg1, ..."
			}
		case name == "func":
			msg = fmt.Sprintf("func is not available in %s probes: probe holds the probe's name", k)
		default: // argN, sargN
			msg = fmt.Sprintf("%s is not available in %s probes", name, k)
			if p, _ := c.spec.ProbeType(k); p != nil && p.Args {
				msg += ": use args.FIELD (args->FIELD on 0.17)"
			}
		}
		c.add(c.providedFix(analysis.New(analysis.KG202, x.Span, msg), x, k))
		return
	}
}

// field checks args->f / args.f against the tracepoint format or the
// kfunc's BTF prototype.
func (c *checker) field(x *FieldAccess, kinds map[string]bool) {
	if c.k == nil {
		return
	}
	id, ok := Unparen(x.X).(*Ident)
	if !ok || id.Name != "args" {
		return
	}
	if !x.Arrow && !kb.VersionAtLeast(c.version, argsStructSince) {
		opSpan := analysis.Span{Start: id.Span.End, End: x.NameSpan.Start}
		c.add(analysis.New(analysis.KG405, opSpan, fmt.Sprintf("args is a pointer in bpftrace %s (a struct from %s on): use args->%s", c.version, argsStructSince, x.Name)).
			WithFix("Replace . with ->", opSpan, "->"))
	}
	// The fields are checked against every attach point of the probe; a
	// wildcard or unknown attach point makes the answer unknown.
	if p := c.probe; p != nil {
		var valid []string
		for _, ap := range p.Attach {
			fields, known := c.argsOf(ap)
			if !known {
				return
			}
			for _, f := range fields {
				if f == x.Name {
					return
				}
			}
			valid = fields
		}
		f := analysis.New(analysis.KG402, x.NameSpan, fmt.Sprintf("%s has no argument %s", p.Attach[0].Raw, x.Name))
		if n := c.nearestOf(valid, x.Name); n != "" {
			f.Message += "; did you mean " + n
			f = f.WithFix("Replace with "+n, x.NameSpan, n)
		}
		if len(valid) > 0 && len(valid) <= 12 {
			f = f.WithNote("its arguments: " + strings.Join(valid, ", "))
		}
		c.add(f)
		return
	}
}

func (c *checker) argsOf(ap *AttachPoint) ([]string, bool) {
	typ := kb.BpftraceProbeTypes[ap.Type]
	switch typ {
	case "tracepoint":
		if len(ap.Parts) != 2 || strings.ContainsAny(ap.Raw, "*?") {
			return nil, false
		}
		tp, ok := c.k.Tracepoint(ap.Parts[0], ap.Parts[1])
		if !ok {
			return nil, false
		}
		var out []string
		for _, f := range tp.Fields {
			out = append(out, f.Name)
		}
		return out, true
	case "kfunc", "kretfunc":
		if len(ap.Parts) == 0 || strings.ContainsAny(ap.Raw, "*?") {
			return nil, false
		}
		fn, ok := c.k.Func(ap.Parts[len(ap.Parts)-1])
		if !ok {
			return nil, false
		}
		var out []string
		for _, p := range fn.Params {
			out = append(out, p.Name)
		}
		if typ == "kretfunc" {
			out = append(out, "ret")
		}
		return out, true
	}
	return nil, false
}

// cast checks (struct X *) casts and the fields read through them.
func (c *checker) cast(x *Cast) {
	if c.k == nil || !strings.HasPrefix(x.Type, "struct ") && !strings.HasPrefix(x.Type, "union ") {
		return
	}
	kind, name, _ := strings.Cut(x.Type, " ")
	if _, ok := c.file.Structs[name]; ok || name == "" {
		return
	}
	if c.hasIncludes() {
		return // types may come from the included headers
	}
	if _, ok := c.k.Type(kind, name); !ok {
		f := analysis.New(analysis.KG403, x.TypeSpan, fmt.Sprintf("unknown type %s %s", kind, name))
		if n := c.k.Nearest(kb.FamilyType, name, 1); len(n) > 0 {
			f.Message += "; did you mean " + kind + " " + n[0]
		}
		c.add(f)
	}
}

// hasIncludes tells whether the script includes a header the
// preprocessor may really read (not one under #ifndef BPFTRACE_HAVE_BTF).
func (c *checker) hasIncludes() bool {
	if c.includes == 0 {
		c.includes = 1
		for _, d := range c.file.Directives {
			if d.Kind == "include" && c.guardActive(d.Guard) != kb.No {
				c.includes = 2
				break
			}
		}
	}
	return c.includes == 2
}

func (c *checker) mapAssign(m *MapRef, rhs Expr) {
	call, isCall := Unparen(rhs).(*Call)
	agg := false
	fn := ""
	if isCall {
		if info, ok := kb.BpftraceFunctions[call.Name]; ok && info.Agg {
			agg, fn = true, call.Name
		}
	}
	prev, seen := c.mapKinds[m.Name]
	if !seen {
		c.mapKinds[m.Name] = mapUse{agg: agg, span: m.Span, fn: fn}
		return
	}
	if prev.agg != agg {
		what := "a plain value"
		if agg {
			what = "an aggregation (" + fn + ")"
		}
		f := analysis.New(analysis.KG507, m.Span, fmt.Sprintf("map %s mixes aggregations and plain values: it is assigned %s here", m.Name, what))
		f.Related = append(f.Related, analysis.Related{Span: prev.span, Message: "first assigned here"})
		c.add(f)
	} else if agg && prev.fn != fn {
		c.add(analysis.New(analysis.KG507, m.Span, fmt.Sprintf("map %s mixes aggregations %s and %s", m.Name, prev.fn, fn)))
	}
}

var _ = strconv.Itoa

// undefinedMaps reports maps the script reads but never assigns anywhere
// (bpftrace: "Undefined map"), naming the nearest map it does assign.
func (c *checker) undefinedMaps() {
	assigned := map[string]bool{}
	for m := range c.file.MacroMaps {
		assigned[m] = true
	}
	var reads []*MapRef
	whole := map[string]bool{} // maps a map function takes whole (print(@m))
	for _, p := range c.file.Probes {
		visit := func(n Node) {
			switch x := n.(type) {
			case *Call:
				switch x.Name {
				case "print", "clear", "zero", "delete", "len", "has_key":
					if len(x.Args) > 0 {
						if m, ok := Unparen(x.Args[0]).(*MapRef); ok {
							whole[m.Name] = true
						}
					}
				}
			case *Assign:
				if m, ok := Unparen(x.LHS).(*MapRef); ok {
					assigned[m.Name] = true
				}
			case *Unary:
				if m, ok := Unparen(x.X).(*MapRef); ok && (strings.Contains(x.Op, "++") || strings.Contains(x.Op, "--")) {
					assigned[m.Name] = true
				}
			case *MapRef:
				reads = append(reads, x)
			}
		}
		if p.Pred != nil {
			c.walk(p.Pred, visit)
		}
		if p.Body != nil {
			c.walk(p.Body, visit)
		}
	}
	if c.err != nil {
		return
	}
	if len(assigned) == 0 && len(reads) == 0 {
		return
	}
	names := make([]string, 0, len(assigned))
	for n := range assigned {
		names = append(names, n)
	}
	sort.Strings(names)
	reported := map[string]bool{}
	for _, m := range reads {
		if assigned[m.Name] || reported[m.Name] {
			continue
		}
		reported[m.Name] = true
		sp := analysis.Span{Start: m.Span.Start, End: m.Span.Start + len(m.Name)}
		f := analysis.New(analysis.KG508, sp, fmt.Sprintf("map %s is read but never assigned", m.Name))
		if kb.VersionAtLeast(c.version, "0.24") && !whole[m.Name] {
			// Newer releases read an unassigned map as zero (but
			// print, clear and delete still want it defined).
			f.Severity = analysis.Warning
		}
		if near := kb.Nearest(names, m.Name, 1); len(near) > 0 {
			f.Message += "; did you mean " + near[0]
			f = f.WithFix("Replace with "+near[0], sp, near[0])
		}
		c.add(f)
	}
}
