package bpfc

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kgent/kgent/analysis"
)

// bcc's C dialect is not libbpf's: bcc rewrites its map macros, map
// methods and kernel-header includes before clang sees them. Models and
// people porting bcc tools write them into libbpf programs, where clang
// rejects them with messages that do not say why. These findings do, on
// the line, with the libbpf idiom as the fix.

var (
	bccMapRe    = regexp.MustCompile(`(?m)^[ \t]*(BPF_(?:HASH|ARRAY|PERCPU_ARRAY|PERCPU_HASH|LRU_HASH|HISTOGRAM|PERF_OUTPUT|RINGBUF_OUTPUT|STACK_TRACE|PROG_ARRAY|QUEUE|STACK|TABLE))\s*\(([^;{}]*)\)\s*;`)
	bccMethodRe = regexp.MustCompile(`\b([A-Za-z_]\w*)\s*\.\s*(lookup_or_try_init|lookup_or_init|lookup|update|insert|delete|increment|atomic_increment|perf_submit|ringbuf_output|ringbuf_reserve|ringbuf_submit|ringbuf_discard|get_stackid|push|pop|peek)\s*\(`)
	bccIncRe    = regexp.MustCompile(`(?m)^[ \t]*#[ \t]*include[ \t]*<((?:uapi/)?(?:linux|asm|net)/[^>]+)>[^\n]*\n?`)
	ptRegsRe    = regexp.MustCompile(`\bPT_REGS_(PARM([1-8])|RC|SP|FP|IP)(_CORE)?\s*\(\s*([A-Za-z_]\w*)\s*\)`)
	printkRe    = regexp.MustCompile(`\bbpf_trace_printk\s*\(`)
)

// bcc reports bcc's idioms in a libbpf program.
func (c *checker) bcc() {
	if !strings.Contains(c.src, "bpf_helpers.h") && !c.includesVmlinux() {
		return // not a libbpf program: maybe bcc's own, not ours to judge
	}
	bccMaps := map[string]bool{}
	for _, m := range bccMapRe.FindAllStringSubmatchIndex(c.src, -1) {
		if !c.code(m[2]) {
			continue
		}
		macro, args := c.src[m[2]:m[3]], splitArgs(c.src[m[4]:m[5]])
		if len(args) == 0 || args[0] == "" {
			continue
		}
		bccMaps[args[0]] = true
		sp := analysis.Span{Start: m[2], End: m[3]}
		f := analysis.New(analysis.KG502, sp, fmt.Sprintf("%s is bcc's map macro, which libbpf does not have: define the map as a struct in SEC(\".maps\")", macro))
		if def := libbpfMap(macro, args); def != "" {
			f = f.WithFix("Define "+args[0]+" the libbpf way", analysis.Span{Start: m[0], End: m[1]}, def)
		}
		c.add(f)
	}
	for i := range c.sum.Maps {
		bccMaps[c.sum.Maps[i].Name] = true
	}
	for _, m := range bccMethodRe.FindAllStringSubmatchIndex(c.src, -1) {
		name, method := c.src[m[2]:m[3]], c.src[m[4]:m[5]]
		if !bccMaps[name] || !c.code(m[2]) {
			continue
		}
		f := analysis.New(analysis.KG201, analysis.Span{Start: m[2], End: m[5]}, fmt.Sprintf("%s.%s() is a bcc map method, which libbpf does not have: %s", name, method, methodAdvice(name, method)))
		open := m[1] - 1
		if close := matchParen(c.src, open); close > 0 {
			repl := libbpfCall(name, method, splitArgs(c.src[open+1:close]))
			if repl == "" {
				repl = c.libbpfBlock(name, method, splitArgs(c.src[open+1:close]))
			}
			if repl != "" {
				title := "Call " + strings.SplitN(repl, "(", 2)[0]
				if strings.HasPrefix(repl, "({") {
					title = "Do it with bpf_map_lookup_elem and bpf_map_update_elem"
				}
				f = f.WithFix(title, analysis.Span{Start: m[2], End: close + 1}, repl)
			}
		}
		c.add(f)
	}
	if c.includesVmlinux() {
		for _, m := range bccIncRe.FindAllStringSubmatchIndex(c.src, -1) {
			if !c.code(m[0] + strings.IndexByte(c.src[m[0]:m[1]], '#')) {
				continue
			}
			hdr := c.src[m[2]:m[3]]
			f := analysis.New(analysis.KG506, analysis.Span{Start: m[2], End: m[3]}, fmt.Sprintf("<%s> is a kernel header (bcc's way to get kernel types): with vmlinux.h it redefines the types vmlinux.h has; remove it", hdr))
			c.add(f.WithFix("Remove the include", analysis.Span{Start: m[0], End: m[1]}, ""))
		}
	}
	for _, m := range printkRe.FindAllStringIndex(c.src, -1) {
		open := m[1] - 1
		close := matchParen(c.src, open)
		if close < 0 || !c.code(m[0]) {
			continue
		}
		args := splitArgs(c.src[open+1 : close])
		if len(args) >= 2 && strings.HasPrefix(args[1], "sizeof") {
			continue // libbpf's (fmt, sizeof(fmt), ...)
		}
		name := analysis.Span{Start: m[0], End: m[0] + len("bpf_trace_printk")}
		c.add(analysis.New(analysis.KG206, name, "bpf_trace_printk(fmt, args...) is bcc's form; the helper takes (fmt, sizeof(fmt), args...): use bpf_printk(fmt, args...)").
			WithFix("Use bpf_printk", name, "bpf_printk"))
	}
	c.ptRegs()
}

// ptRegs reports PT_REGS_* on a program whose context is not pt_regs (a
// tracepoint's record, a raw tracepoint's args).
func (c *checker) ptRegs() {
	for _, m := range ptRegsRe.FindAllStringSubmatchIndex(c.src, -1) {
		if !c.code(m[0]) {
			continue
		}
		arg := c.src[m[8]:m[9]]
		p := c.programAt(m[0])
		if p == nil || len(p.Params) == 0 || text(c.src, p.Params[0]) == "" {
			continue
		}
		switch p.Def.ProgType {
		case "tracepoint", "raw_tracepoint", "raw_tracepoint_writable", "tracing":
		default:
			continue
		}
		param := text(c.src, p.Params[0])
		if !strings.HasSuffix(strings.TrimSpace(param), arg) || strings.Contains(param, "pt_regs") {
			continue
		}
		ctxType := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(param), arg))
		f := analysis.New(analysis.KG406, analysis.Span{Start: m[0], End: m[1]},
			fmt.Sprintf("PT_REGS_%s reads a struct pt_regs, but %s is this %s program's context (%s): read its fields instead", c.src[m[2]:m[3]], arg, p.Def.ProgType, ctxType))
		n := ""
		if m[4] >= 0 {
			n = c.src[m[4]:m[5]]
		}
		// The record's field that holds what the register would:
		// a syscall's arguments are args[], its return value ret.
		record := arg
		if !strings.Contains(ctxType, "trace_event_raw_sys_") {
			record = ""
		}
		field := ""
		switch {
		case n != "" && strings.HasPrefix(p.Target, "syscalls/sys_enter_"):
			if record == "" {
				record = "((struct trace_event_raw_sys_enter *)" + arg + ")"
			}
			field = fmt.Sprintf("%s->args[%d]", record, int(n[0]-'1'))
		case c.src[m[2]:m[3]] == "RC" && strings.HasPrefix(p.Target, "syscalls/sys_exit_"):
			if record == "" {
				record = "((struct trace_event_raw_sys_exit *)" + arg + ")"
			}
			field = record + "->ret"
		}
		if field != "" {
			f.Message += " (" + field + ")"
			f = f.WithFix("Read "+field, analysis.Span{Start: m[0], End: m[1]}, field)
		}
		c.add(f)
	}
}

// programAt is the program whose function contains off.
func (c *checker) programAt(off int) *Program {
	for i := range c.sum.Programs {
		p := &c.sum.Programs[i]
		if p.Span.Start <= off && off < p.Span.End {
			return p
		}
	}
	return nil
}

// code reports whether off is program text: not in a comment or a string.
func (c *checker) code(off int) bool {
	n := c.nodeAt(off)
	for ; n != nil; n = n.Parent() {
		switch n.Kind() {
		case "comment", "string_literal", "char_literal", "system_lib_string":
			return false
		}
	}
	return true
}

func (c *checker) includesVmlinux() bool {
	for _, inc := range c.incLines {
		if inc.name == "vmlinux.h" {
			return true
		}
	}
	return false
}

// libbpfMap is the libbpf definition of a bcc map macro's map.
func libbpfMap(macro string, args []string) string {
	arg := func(i int, def string) string {
		if i < len(args) && args[i] != "" {
			return args[i]
		}
		return def
	}
	name := args[0]
	field := func(typ, key, value, entries string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "struct {\n\t__uint(type, %s);\n", typ)
		if entries != "" {
			fmt.Fprintf(&b, "\t__uint(max_entries, %s);\n", entries)
		}
		if key != "" {
			fmt.Fprintf(&b, "\t__type(key, %s);\n", key)
		}
		if value != "" {
			fmt.Fprintf(&b, "\t__type(value, %s);\n", value)
		}
		fmt.Fprintf(&b, "} %s SEC(\".maps\");", name)
		return b.String()
	}
	switch macro {
	case "BPF_HASH", "BPF_TABLE":
		if macro == "BPF_TABLE" {
			return ""
		}
		return field("BPF_MAP_TYPE_HASH", arg(1, "u64"), arg(2, "u64"), arg(3, "10240"))
	case "BPF_LRU_HASH":
		return field("BPF_MAP_TYPE_LRU_HASH", arg(1, "u64"), arg(2, "u64"), arg(3, "10240"))
	case "BPF_PERCPU_HASH":
		return field("BPF_MAP_TYPE_PERCPU_HASH", arg(1, "u64"), arg(2, "u64"), arg(3, "10240"))
	case "BPF_ARRAY":
		return field("BPF_MAP_TYPE_ARRAY", "u32", arg(1, "u64"), arg(2, "10240"))
	case "BPF_PERCPU_ARRAY":
		return field("BPF_MAP_TYPE_PERCPU_ARRAY", "u32", arg(1, "u64"), arg(2, "10240"))
	case "BPF_HISTOGRAM":
		return field("BPF_MAP_TYPE_HASH", arg(1, "int"), "u64", arg(2, "64"))
	case "BPF_PERF_OUTPUT":
		return fmt.Sprintf("struct {\n\t__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);\n\t__uint(key_size, sizeof(u32));\n\t__uint(value_size, sizeof(u32));\n} %s SEC(\".maps\");", name)
	case "BPF_RINGBUF_OUTPUT":
		return field("BPF_MAP_TYPE_RINGBUF", "", "", arg(1, "8")+" * 4096")
	case "BPF_STACK_TRACE":
		return fmt.Sprintf("struct {\n\t__uint(type, BPF_MAP_TYPE_STACK_TRACE);\n\t__uint(max_entries, %s);\n\t__uint(key_size, sizeof(u32));\n\t__uint(value_size, 127 * sizeof(u64));\n} %s SEC(\".maps\");", arg(1, "1024"), name)
	case "BPF_PROG_ARRAY":
		return fmt.Sprintf("struct {\n\t__uint(type, BPF_MAP_TYPE_PROG_ARRAY);\n\t__uint(max_entries, %s);\n\t__type(key, u32);\n\t__type(value, u32);\n} %s SEC(\".maps\");", arg(1, "8"), name)
	}
	return ""
}

// methodAdvice names the libbpf helper of a bcc map method.
func methodAdvice(m, method string) string {
	switch method {
	case "lookup":
		return "bpf_map_lookup_elem(&" + m + ", key)"
	case "lookup_or_init", "lookup_or_try_init":
		return "bpf_map_lookup_elem(&" + m + ", key), and when it is NULL bpf_map_update_elem(&" + m + ", key, init, BPF_NOEXIST) and look up again"
	case "update", "insert":
		return "bpf_map_update_elem(&" + m + ", key, value, BPF_ANY)"
	case "delete":
		return "bpf_map_delete_elem(&" + m + ", key)"
	case "increment", "atomic_increment":
		return "look the value up with bpf_map_lookup_elem(&" + m + ", key) and add with __sync_fetch_and_add"
	case "perf_submit":
		return "bpf_perf_event_output(ctx, &" + m + ", BPF_F_CURRENT_CPU, data, size)"
	case "ringbuf_output":
		return "bpf_ringbuf_output(&" + m + ", data, size, flags)"
	case "ringbuf_reserve":
		return "bpf_ringbuf_reserve(&" + m + ", size, 0)"
	case "ringbuf_submit":
		return "bpf_ringbuf_submit(data, flags)"
	case "ringbuf_discard":
		return "bpf_ringbuf_discard(data, flags)"
	case "get_stackid":
		return "bpf_get_stackid(ctx, &" + m + ", flags)"
	case "push":
		return "bpf_map_push_elem(&" + m + ", value, flags)"
	case "pop":
		return "bpf_map_pop_elem(&" + m + ", value)"
	case "peek":
		return "bpf_map_peek_elem(&" + m + ", value)"
	}
	return "use the bpf_map_*_elem helpers"
}

// libbpfCall is the helper call that does what a bcc map method call
// does, when it is one call; "" otherwise.
func libbpfCall(m, method string, args []string) string {
	ref := "&" + m
	switch {
	case method == "lookup" && len(args) == 1:
		return fmt.Sprintf("bpf_map_lookup_elem(%s, %s)", ref, args[0])
	case (method == "update" || method == "insert") && len(args) == 2:
		flag := "BPF_ANY"
		if method == "insert" {
			flag = "BPF_NOEXIST"
		}
		return fmt.Sprintf("bpf_map_update_elem(%s, %s, %s, %s)", ref, args[0], args[1], flag)
	case method == "delete" && len(args) == 1:
		return fmt.Sprintf("bpf_map_delete_elem(%s, %s)", ref, args[0])
	case method == "perf_submit" && len(args) == 3:
		return fmt.Sprintf("bpf_perf_event_output(%s, %s, BPF_F_CURRENT_CPU, %s, %s)", args[0], ref, args[1], args[2])
	case method == "ringbuf_output" && len(args) == 3:
		return fmt.Sprintf("bpf_ringbuf_output(%s, %s, %s, %s)", ref, args[0], args[1], args[2])
	case method == "ringbuf_reserve" && len(args) == 1:
		return fmt.Sprintf("bpf_ringbuf_reserve(%s, %s, 0)", ref, args[0])
	case method == "get_stackid" && len(args) == 2:
		return fmt.Sprintf("bpf_get_stackid(%s, %s, %s)", args[0], ref, args[1])
	}
	return ""
}

// matchParen is the index of the ')' closing the '(' at open, or -1.
func matchParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s) && i < open+4096; i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		}
	}
	return -1
}

// splitArgs splits a macro or call's argument text at top-level commas.
func splitArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if t := strings.TrimSpace(s[start:]); t != "" || len(out) > 0 {
		out = append(out, t)
	}
	return out
}

// libbpfBlock is a statement expression doing what a bcc method does in
// several helper calls (increment, lookup_or_try_init), for a map whose
// libbpf definition names its key and value types; "" otherwise.
func (c *checker) libbpfBlock(m, method string, args []string) string {
	mp := c.mapNamed(m)
	if mp == nil {
		return ""
	}
	key, ok1 := mp.field("key")
	val, ok2 := mp.field("value")
	if !ok1 || !ok2 || key.Value == "" || val.Value == "" {
		return ""
	}
	switch {
	case (method == "increment" || method == "atomic_increment") && (len(args) == 1 || len(args) == 2):
		delta := "1"
		if len(args) == 2 {
			delta = args[1]
		}
		return fmt.Sprintf("({ %s __k = %s; %s *__v = bpf_map_lookup_elem(&%s, &__k); if (__v) __sync_fetch_and_add(__v, %s); else { %s __init = %s; bpf_map_update_elem(&%s, &__k, &__init, BPF_NOEXIST); } })",
			key.Value, args[0], val.Value, m, delta, val.Value, delta, m)
	case (method == "lookup_or_try_init" || method == "lookup_or_init") && len(args) == 2:
		return fmt.Sprintf("({ %s *__v = bpf_map_lookup_elem(&%s, %s); if (!__v) { bpf_map_update_elem(&%s, %s, %s, BPF_NOEXIST); __v = bpf_map_lookup_elem(&%s, %s); } __v; })",
			val.Value, m, args[0], m, args[0], args[1], m, args[0])
	}
	return ""
}
