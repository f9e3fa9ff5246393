package bpfc

import (
	"fmt"
	"regexp"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// Checks of helper calls that clang lets through or words poorly: the
// argument count against the helper's prototype, the map a helper needs
// (a tail call through a hash map), a key passed by value, libc functions
// that do not exist in a BPF program, and user memory read with the
// kernel's probe read (or the reverse).

// callArgs lists a call's arguments.
func callArgs(n *sitter.Node) []*sitter.Node {
	args := n.ChildByFieldId(fieldArguments)
	if args == nil {
		return nil
	}
	var out []*sitter.Node
	for i := uint(0); i < args.NamedChildCount(); i++ {
		if a := args.NamedChild(i); a.KindId() != kindComment {
			out = append(out, a)
		}
	}
	return out
}

// helperArity reports a call with a number of arguments the helper's
// prototype does not take (KG206). bpf_trace_printk takes at most three
// values after its format and size.
func (c *checker) helperArity(n, fn *sitter.Node, h *kb.Helper) bool {
	if h.Func == nil {
		return false
	}
	name := text(c.src, fn)
	got, want := len(callArgs(n)), len(h.Func.Params)
	switch {
	case name == "bpf_trace_printk" && got > 5:
		f := analysis.New(analysis.KG206, span(fn), fmt.Sprintf("bpf_trace_printk takes at most 3 values after the format and its size, here %d: print fewer, or use bpf_printk (bpf_trace_vprintk takes up to 12)", got-2))
		// bpf_printk with the format's literal: libbpf calls
		// bpf_trace_vprintk for more than three values.
		args := callArgs(n)
		if got <= 14 && args[0].KindId() == kindIdentifier {
			if lv, ok := c.locals[text(c.src, args[0])]; ok && lv.array && lv.init != nil && lv.init.Kind() == "string_literal" {
				if _, vprintk := c.k.Helper("bpf_trace_vprintk"); vprintk {
					rest := make([]string, 0, len(args)-2)
					for _, a := range args[2:] {
						rest = append(rest, text(c.src, a))
					}
					f = f.WithFix("Use bpf_printk", span(n), fmt.Sprintf("bpf_printk(%s, %s)", text(c.src, lv.init), strings.Join(rest, ", ")))
				}
			}
		}
		c.add(f)
		return true
	case h.Func.Variadic || got == want:
		return false
	}
	f := analysis.New(analysis.KG206, span(fn), fmt.Sprintf("%s takes %d argument(s), called with %d", name, want, got)).
		WithNote("prototype: " + h.Func.Proto())
	if fix := c.arityFix(n, name, got); fix != "" {
		if args := n.ChildByFieldId(fieldArguments); args != nil {
			f = f.WithFix("Complete the call", analysis.Span{Start: int(args.EndByte()) - 1, End: int(args.EndByte()) - 1}, fix)
		}
	}
	c.add(f)
	return true
}

// arityFix is the text that completes a call missing its last argument,
// when that argument has one usual value.
func (c *checker) arityFix(n *sitter.Node, name string, got int) string {
	args := callArgs(n)
	switch {
	case name == "bpf_map_update_elem" && got == 3:
		return ", BPF_ANY"
	case (name == "bpf_ringbuf_submit" || name == "bpf_ringbuf_discard") && got == 1,
		name == "bpf_ringbuf_reserve" && got == 2, name == "bpf_ringbuf_output" && got == 3:
		return ", 0"
	case (name == "bpf_get_current_comm" || name == "bpf_probe_read_kernel_str" || name == "bpf_probe_read_user_str") && got == 1:
		buf := strings.TrimPrefix(text(c.src, args[0]), "&")
		return fmt.Sprintf(", sizeof(%s)", buf)
	}
	return ""
}

// mapArgs: the helpers that need a map of given types, by argument.
var mapArgs = map[string]struct {
	arg   int
	types []string
}{
	"bpf_tail_call":         {1, []string{"BPF_MAP_TYPE_PROG_ARRAY"}},
	"bpf_perf_event_output": {1, []string{"BPF_MAP_TYPE_PERF_EVENT_ARRAY"}},
	"bpf_ringbuf_output":    {0, []string{"BPF_MAP_TYPE_RINGBUF"}},
	"bpf_ringbuf_reserve":   {0, []string{"BPF_MAP_TYPE_RINGBUF"}},
	"bpf_get_stackid":       {1, []string{"BPF_MAP_TYPE_STACK_TRACE"}},
	"bpf_map_push_elem":     {0, []string{"BPF_MAP_TYPE_QUEUE", "BPF_MAP_TYPE_STACK", "BPF_MAP_TYPE_BLOOM_FILTER"}},
	"bpf_map_pop_elem":      {0, []string{"BPF_MAP_TYPE_QUEUE", "BPF_MAP_TYPE_STACK"}},
	"bpf_map_peek_elem":     {0, []string{"BPF_MAP_TYPE_QUEUE", "BPF_MAP_TYPE_STACK", "BPF_MAP_TYPE_BLOOM_FILTER"}},
	"bpf_redirect_map":      {0, []string{"BPF_MAP_TYPE_DEVMAP", "BPF_MAP_TYPE_DEVMAP_HASH", "BPF_MAP_TYPE_CPUMAP", "BPF_MAP_TYPE_XSKMAP"}},
}

// mapNamed is the file's map definition of that name.
func (c *checker) mapNamed(name string) *Map {
	for i := range c.sum.Maps {
		if c.sum.Maps[i].Name == name {
			return &c.sum.Maps[i]
		}
	}
	return nil
}

// mapType is a map's type field.
func (mp *Map) field(name string) (MapField, bool) {
	for _, f := range mp.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return MapField{}, false
}

var mapHelperRe = regexp.MustCompile(`\b(bpf_tail_call|bpf_perf_event_output|bpf_ringbuf_output|bpf_ringbuf_reserve|bpf_get_stackid|bpf_map_push_elem|bpf_map_pop_elem|bpf_map_peek_elem|bpf_redirect_map)\s*\(`)

// helperMapTypes reports calls given a map of a type the helper does not
// take (KG406): the verifier refuses the call. It reads the whole file
// (its fix may edit the map's definition, outside the function).
func (c *checker) helperMapTypes() {
	for _, m := range mapHelperRe.FindAllStringSubmatchIndex(c.src, -1) {
		open := m[1] - 1
		close := matchParen(c.src, open)
		if close < 0 || !c.code(m[0]) {
			continue
		}
		c.helperMapType(c.src[m[2]:m[3]], analysis.Span{Start: m[2], End: m[3]}, analysis.Span{Start: m[2], End: close + 1}, splitArgs(c.src[open+1:close]))
	}
}

func (c *checker) helperMapType(name string, nameSpan, callSpan analysis.Span, args []string) {
	need := mapArgs[name]
	if need.arg >= len(args) {
		return
	}
	ref := args[need.arg]
	mapName, ok := strings.CutPrefix(ref, "&")
	if !ok {
		return
	}
	mp := c.mapNamed(strings.TrimSpace(mapName))
	if mp == nil {
		return
	}
	typ, ok := mp.field("type")
	if !ok || !strings.HasPrefix(typ.Value, "BPF_MAP_TYPE_") || strings.ContainsAny(typ.Value, " \t\n(") {
		return
	}
	for _, t := range need.types {
		if typ.Value == t {
			return
		}
	}
	f := analysis.New(analysis.KG406, nameSpan, fmt.Sprintf("%s needs a map of type %s, and %s is a %s", name, strings.Join(need.types, " or "), mp.Name, typ.Value))
	f.Related = append(f.Related, analysis.Related{Span: mp.NameSpan, Message: "the map definition"})
	switch {
	case name == "bpf_perf_event_output" && typ.Value == "BPF_MAP_TYPE_RINGBUF" && len(args) == 5:
		// The ring buffer's own output helper: the libbpf idiom for a
		// ring buffer.
		repl := fmt.Sprintf("bpf_ringbuf_output(%s, %s, %s, 0)", ref, args[3], args[4])
		f.Message += ": write to a ring buffer with bpf_ringbuf_output"
		f = f.WithFix("Call bpf_ringbuf_output", callSpan, repl)
	case len(need.types) == 1:
		vs := strings.Index(c.src[typ.Span.Start:typ.Span.End], typ.Value)
		if vs >= 0 {
			sp := analysis.Span{Start: typ.Span.Start + vs, End: typ.Span.Start + vs + len(typ.Value)}
			f = f.WithFix(fmt.Sprintf("Make %s a %s", mp.Name, need.types[0]), sp, need.types[0])
		}
	}
	c.add(f)
}

// pointerArgs: the helpers' arguments that are pointers (key, value).
var pointerArgs = map[string][]int{
	"bpf_map_lookup_elem": {1}, "bpf_map_update_elem": {1, 2}, "bpf_map_delete_elem": {1},
	"bpf_map_lookup_percpu_elem": {1}, "bpf_map_push_elem": {1}, "bpf_map_pop_elem": {1}, "bpf_map_peek_elem": {1},
}

// byValue reports a key or value passed by value where the helper takes
// a pointer (KG406): clang only warns, the verifier refuses it.
func (c *checker) byValue(n, fn *sitter.Node) bool {
	idx, ok := pointerArgs[text(c.src, fn)]
	if !ok {
		return false
	}
	args := callArgs(n)
	found := false
	for _, i := range idx {
		if i >= len(args) || args[i].KindId() != kindIdentifier {
			continue
		}
		name := text(c.src, args[i])
		lv, ok := c.locals[name]
		if !ok || lv.pointer || lv.array {
			continue
		}
		c.add(analysis.New(analysis.KG406, span(args[i]), fmt.Sprintf("%s takes a pointer here; %s is a %s passed by value: pass &%s", text(c.src, fn), name, lv.typ, name)).
			WithFix("Pass &"+name, span(args[i]), "&"+name))
		found = true
	}
	return found
}

// libc functions programs call that a BPF program does not have: there
// is no libc to link, and libbpf refuses the object ("unsatisfied program
// reference"). The value says what to do instead.
var libcFuncs = map[string]string{
	"printf": "print with bpf_printk", "fprintf": "print with bpf_printk", "puts": "print with bpf_printk",
	"sprintf": "format with BPF_SNPRINTF or bpf_snprintf", "snprintf": "format with BPF_SNPRINTF or bpf_snprintf",
	"malloc": "use a per-CPU array map as scratch space (bpf_map_lookup_elem on key 0)", "calloc": "use a per-CPU array map as scratch space",
	"realloc": "use a per-CPU array map as scratch space", "free": "a map value needs no freeing",
	"strlen": "bpf_probe_read_*_str returns the length it copied (with the NUL); or count in a bounded loop",
	"strcmp": "compare in a loop bounded by a constant (or use bpf_strncmp against a constant string)", "strncmp": "use bpf_strncmp, or compare in a loop bounded by a constant",
	"strcpy": "copy with bpf_probe_read_kernel_str", "strncpy": "copy with bpf_probe_read_kernel_str",
	"strcat": "copy into the buffer at an offset with bpf_probe_read_kernel_str", "strstr": "search in a loop bounded by a constant",
	"strchr": "search in a loop bounded by a constant", "memcmp": "compare in a loop bounded by a constant",
	"atoi": "parse in a loop bounded by a constant", "strtol": "use bpf_strtol", "strtoul": "use bpf_strtoul",
	"sleep": "a BPF program cannot sleep", "usleep": "a BPF program cannot sleep", "time": "use bpf_ktime_get_ns",
	"exit": "return from the program", "abort": "return from the program", "rand": "use bpf_get_prandom_u32",
	"getpid": "use bpf_get_current_pid_tgid() >> 32", "gettid": "use (u32)bpf_get_current_pid_tgid()",
}

// libc reports a call to a libc function the file does not define.
func (c *checker) libc(n, fn *sitter.Node) {
	name := text(c.src, fn)
	advice, ok := libcFuncs[name]
	if !ok || c.local[name] || c.ksyms[name] || c.definedInIncludes(name) {
		return
	}
	if c.k != nil && c.k.HeaderNames()[name] {
		return
	}
	f := analysis.New(analysis.KG201, span(fn), fmt.Sprintf("%s is a libc function, which a BPF program does not have (libbpf refuses the object: unsatisfied program reference): %s", name, advice))
	if name == "printf" || name == "puts" {
		f = f.WithFix("Use bpf_printk", span(fn), "bpf_printk")
	}
	if fx, ok := c.libcFix(n, name); ok {
		f.Fixes = append(f.Fixes, fx)
	}
	if name == "time" {
		f = f.WithFix("Use bpf_ktime_get_ns()", span(n), "bpf_ktime_get_ns()")
	}
	if name == "getpid" {
		f = f.WithFix("Use bpf_get_current_pid_tgid() >> 32", span(n), "(bpf_get_current_pid_tgid() >> 32)")
	}
	c.add(f)
}

// probeReadSide reports user memory read with a kernel probe read and
// kernel memory read with a user one (KG406, a warning: the program
// loads, and the read fails at run time with -EFAULT).
func (c *checker) probeReadSide(n, fn *sitter.Node, prog *Program, vars map[string]varType) {
	name := text(c.src, fn)
	args := callArgs(n)
	if len(args) != 3 {
		return
	}
	src := args[2]
	srcText := text(c.src, src)
	var other string
	switch name {
	case "bpf_probe_read_kernel", "bpf_probe_read_kernel_str":
		if !c.userPointer(src, prog) {
			return
		}
		other = strings.Replace(name, "kernel", "user", 1)
		c.add(analysis.New(analysis.KG406, span(fn), fmt.Sprintf("%s is a system call's argument, a user-space pointer: %s reads kernel memory and fails with -EFAULT on it; read it with %s", srcText, name, other)).
			WithSeverity(analysis.Warning).WithFix("Replace with "+other, span(fn), other))
	case "bpf_probe_read_user", "bpf_probe_read_user_str":
		if !c.kernelPointer(src, vars) {
			return
		}
		other = strings.Replace(name, "user", "kernel", 1)
		c.add(analysis.New(analysis.KG406, span(fn), fmt.Sprintf("%s is kernel memory: %s reads user memory and fails with -EFAULT on it; read it with %s", srcText, name, other)).
			WithSeverity(analysis.Warning).WithFix("Replace with "+other, span(fn), other))
	}
}

// userPointer: an expression that is a system call's argument, read from
// a syscall tracepoint's record (ctx->args[N]) or a PT_REGS_PARM of a
// syscall probe, which for pointer arguments are user-space addresses.
func (c *checker) userPointer(n *sitter.Node, prog *Program) bool {
	if prog == nil {
		return false
	}
	t := text(c.src, n)
	switch {
	case prog.Def.ProgType == "tracepoint" && strings.HasPrefix(prog.Target, "syscalls/sys_enter_"):
		return strings.Contains(t, "->args[")
	case strings.Contains(prog.Def.Prefix, "syscall"):
		return strings.Contains(t, "PT_REGS_PARM")
	}
	return false
}

// kernelPointer: &v->f or v->f of an array field, where v points to a
// kernel struct.
func (c *checker) kernelPointer(n *sitter.Node, vars map[string]varType) bool {
	e := n
	for e.KindId() == kindParenthesized && e.NamedChildCount() == 1 || e.KindId() == kindCast {
		if e.KindId() == kindCast {
			e = e.ChildByFieldId(fieldValue)
		} else {
			e = e.NamedChild(0)
		}
		if e == nil {
			return false
		}
	}
	addr := false
	if e.Kind() == "pointer_expression" {
		addr = true
		if op := e.ChildByFieldId(fieldOperator); op == nil || text(c.src, op) != "&" {
			return false
		}
		e = e.ChildByFieldId(fieldArgument)
		if e == nil {
			return false
		}
	}
	if e.KindId() != kindFieldExpression {
		return false
	}
	arg := e.ChildByFieldId(fieldArgument)
	if arg == nil || arg.KindId() != kindIdentifier {
		return false
	}
	vt, ok := vars[text(c.src, arg)]
	if !ok || !vt.pointer || c.k == nil || c.structs[vt.ref] || vt.flavor != "" || strings.HasPrefix(vt.ref, "trace_event_raw_") {
		return false
	}
	// Only a member's address, or an array member (whose value is its
	// address), is kernel memory for certain.
	t, ok := c.k.Resolve(vt.ref)
	if !ok {
		return false
	}
	field := e.ChildByFieldId(fieldField)
	if field == nil {
		return false
	}
	m, ok := c.k.Member(t, text(c.src, field))
	return ok && (addr || strings.Contains(m.Type, "["))
}

// Map types whose max_entries may be left out: libbpf sets a perf event
// array's to the number of CPUs; storage maps must have none.
var noMaxEntries = map[string]bool{"BPF_MAP_TYPE_PERF_EVENT_ARRAY": true, "BPF_MAP_TYPE_SK_STORAGE": true, "BPF_MAP_TYPE_INODE_STORAGE": true,
	"BPF_MAP_TYPE_TASK_STORAGE": true, "BPF_MAP_TYPE_CGRP_STORAGE": true, "BPF_MAP_TYPE_CGROUP_STORAGE": true, "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE": true,
	"BPF_MAP_TYPE_STRUCT_OPS": true, "BPF_MAP_TYPE_USER_RINGBUF": false}

// mapShape reports what the kernel refuses when libbpf creates a map
// (KG502): no max_entries, and a ring buffer with a key or a value.
func (c *checker) mapShape(mp *Map, typ MapField, has map[string]bool) {
	if !has["max_entries"] && !noMaxEntries[typ.Value] && mp.Name != "" {
		// A warning: loaders often size maps at run time
		// (bpf_map__set_max_entries before load, as libbpf-tools do).
		f := analysis.New(analysis.KG502, mp.NameSpan, fmt.Sprintf("map %s has no max_entries: the kernel refuses to create a %s with 0 entries unless the loader sets it before load", mp.Name, typ.Value)).
			WithSeverity(analysis.Warning).
			WithNote("a loader that calls bpf_map__set_max_entries() on the map before loading the object needs none here")
		entries := "10240"
		switch typ.Value {
		case "BPF_MAP_TYPE_RINGBUF", "BPF_MAP_TYPE_USER_RINGBUF":
			entries = "256 * 1024"
		case "BPF_MAP_TYPE_PERCPU_ARRAY":
			entries = "1"
		}
		if nl := strings.IndexByte(c.src[typ.Span.End:], '\n'); nl >= 0 {
			at := typ.Span.End + nl + 1
			f = f.WithFix("Add max_entries", analysis.Span{Start: at, End: at}, fmt.Sprintf("%s__uint(max_entries, %s);\n", c.indentOf(typ.Span.Start), entries))
		}
		c.add(f)
	}
	if typ.Value != "BPF_MAP_TYPE_RINGBUF" && typ.Value != "BPF_MAP_TYPE_USER_RINGBUF" {
		return
	}
	var first *MapField
	var fix analysis.Fix
	for i := range mp.Fields {
		fd := &mp.Fields[i]
		switch fd.Name {
		case "key", "value", "key_size", "value_size":
		default:
			continue
		}
		if first == nil {
			first = fd
		}
		// The whole line of the field.
		start := strings.LastIndexByte(c.src[:fd.Span.Start], '\n') + 1
		end := fd.Span.End
		if nl := strings.IndexByte(c.src[end:], '\n'); nl >= 0 {
			end += nl + 1
		}
		fix.Edits = append(fix.Edits, analysis.Edit{Span: analysis.Span{Start: start, End: end}})
	}
	if first == nil {
		return
	}
	fix.Title = "Remove the key and value"
	f := analysis.New(analysis.KG502, first.Span, fmt.Sprintf("a ring buffer map has no key or value (the kernel refuses to create %s with one): remove __type(%s, ...); the record's size is given to bpf_ringbuf_reserve/output", mp.Name, first.Name))
	f.Fixes = append(f.Fixes, fix)
	c.add(f)
}

// libcFix writes the BPF way of a libc call where there is one: a
// bounded count for strlen of a local array, bpf_strncmp for a
// comparison with a string literal, a per-CPU array map's entry for
// malloc of a constant size.
func (c *checker) libcFix(n *sitter.Node, name string) (analysis.Fix, bool) {
	args := callArgs(n)
	arrayArg := func(i int) (string, bool) {
		if i >= len(args) || args[i].KindId() != kindIdentifier {
			return "", false
		}
		lv, ok := c.locals[text(c.src, args[i])]
		return text(c.src, args[i]), ok && lv.array && !lv.pointer
	}
	switch name {
	case "strlen":
		a, ok := arrayArg(0)
		if !ok || len(args) != 1 {
			break
		}
		to := fmt.Sprintf("({ int __n = 0; for (; __n < (int)sizeof(%s) && %s[__n]; __n++) ; __n; })", a, a)
		return analysis.Fix{Title: "Count in a loop bounded by the array's size", Edits: []analysis.Edit{{Span: span(n), NewText: to}}}, true
	case "strcmp", "strncmp":
		a, ok := arrayArg(0)
		if !ok || len(args) < 2 || args[1].Kind() != "string_literal" {
			break
		}
		size := "sizeof(" + a + ")"
		if name == "strncmp" && len(args) == 3 {
			size = text(c.src, args[2])
		}
		to := fmt.Sprintf("bpf_strncmp(%s, %s, %s)", a, size, text(c.src, args[1]))
		return analysis.Fix{Title: "Compare with bpf_strncmp", Edits: []analysis.Edit{{Span: span(n), NewText: to}}}, true
	case "malloc":
		if len(args) != 1 || !c.isConst(args[0]) {
			break
		}
		fname := "prog"
		if p := c.programAt(int(n.StartByte())); p != nil {
			fname = p.Name
		} else if fn := c.functionAt(int(n.StartByte())); fn != nil {
			if id, _ := funcName(fn); id != nil {
				fname = text(c.src, id)
			}
		}
		mapName := fname + "_heap"
		def := fmt.Sprintf("struct {\n\t__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);\n\t__uint(max_entries, 1);\n\t__type(key, u32);\n\t__type(value, char[%s]);\n} %s SEC(\".maps\");\n\n", text(c.src, args[0]), mapName)
		return analysis.Fix{Title: "Use a per-CPU array map's entry as the buffer", Edits: []analysis.Edit{
			{Span: analysis.Span{Start: c.typesAt, End: c.typesAt}, NewText: def},
			{Span: span(n), NewText: fmt.Sprintf("bpf_map_lookup_elem(&%s, &(u32){0})", mapName)},
		}}, true
	}
	return analysis.Fix{}, false
}
