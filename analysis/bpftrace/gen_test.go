package bpftrace

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// A generator of bpftrace programs for the parser differential
// (differential_test.go): each program is a pure function of its seed, so
// a disagreement found once is found again. The programs cover the whole
// language of the three checked releases, old and new spellings mixed (a
// program may use a construct only one release parses: the releases'
// verdicts are the reference, not the generator), with the white space,
// comments and punctuation variants that scripts written by hand and by
// models use. They are meant to be mostly well formed: the mutator
// (mutate) makes the broken ones.

type gen struct {
	r *rand.Rand
	// dialect is the release whose language the program is mostly
	// written in: 0 for 0.17, 1 for 0.23, 2 for 0.27, 3 for all of them
	// mixed with spellings no release takes (noisy).
	dialect int
	depth   int
	// inLoop allows break and continue.
	inLoop bool
	// vars are the scratch variables in use.
	vars []string
}

// genProgram is the program of seed.
func genProgram(seed uint64) string {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x62747261636521))}
	g.dialect = int(seed % 4)
	return g.program()
}

// since tells whether the program's dialect may use a construct first
// parsed by release d (0: 0.17, 1: 0.23, 2: 0.27).
func (g *gen) since(d int) bool { return g.dialect >= d }

// odd is whether to write something no release parses (only noisy
// programs do, and rarely).
func (g *gen) odd() bool { return g.dialect == 3 && g.chance(0.1) }

func (g *gen) n(k int) int           { return g.r.IntN(k) }
func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *gen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

// sp is white space where some is needed (between two words), opt where
// none is: mostly one space, sometimes a newline, a tab or a comment.
func (g *gen) sp() string {
	switch g.n(20) {
	case 0:
		return "\n"
	case 1:
		return "\t"
	case 2:
		return " /* c */ "
	case 3:
		return " // c\n"
	case 4:
		return "\n\n  "
	}
	return " "
}

func (g *gen) opt() string {
	if g.chance(0.5) {
		return ""
	}
	return g.sp()
}

func (g *gen) program() string {
	var b strings.Builder
	if g.chance(0.1) {
		b.WriteString("#!/usr/bin/env bpftrace\n")
	}
	if g.chance(0.3) {
		b.WriteString("// " + pick(g, "generated", "a comment with } and { and /* in it", "probe: tracepoint:a:b") + "\n")
	}
	if g.since(1) && g.chance(0.3) {
		b.WriteString(g.config() + "\n")
	}
	for i := g.n(3); i > 0; i-- {
		k := g.n(7)
		if !g.since(2) && (k == 4 || k == 5) || !g.since(3) && k == 6 {
			k = g.n(4)
		}
		switch k {
		case 0, 1:
			b.WriteString(g.structDef() + "\n")
		case 2:
			b.WriteString(g.enumDef() + "\n")
		case 3:
			b.WriteString(pick(g, "#define N 16", "#define MAX(a, b) ((a) > (b) ? (a) : (b))", "#define FLAG 0x1 // a flag", "#ifndef X\n#define X 1\n#endif") + "\n")
		case 4:
			b.WriteString(g.macroDef() + "\n")
		case 5:
			b.WriteString(fmt.Sprintf("let @m%d = %s(%d);\n", g.n(3), pick(g, "hash", "lruhash", "percpuhash", "percpuarray", "percpulruhash"), 1+g.n(1000)))
		case 6:
			b.WriteString(g.config() + "\n")
		}
	}
	for i := 1 + g.n(3); i > 0; i-- {
		b.WriteString(g.probe())
		b.WriteString(pick(g, "\n", "\n\n", " ", "\n// between\n"))
		if g.odd() {
			b.WriteString(";")
		}
	}
	return b.String()
}

func (g *gen) config() string {
	var entries []string
	for i := 1 + g.n(3); i > 0; i-- {
		entries = append(entries, pick(g, "max_map_keys = 1024", "BPFTRACE_MAX_MAP_KEYS = 100", "stack_mode = perf", "max_strlen = 128",
			"missing_probes = warn", "print_maps_on_exit = false", "log_size = 1000000", "strlen = 64", "on_stack_limit = 32",
			"unstable_macro = enable", "unstable_map_decl = enable", "max_type_res_iterations = 0", "perf_rb_pages = 64"))
	}
	sep := pick(g, ";", "; ", ";\n  ")
	tail := pick(g, "", ";", sep)
	end := ""
	if g.odd() {
		end = ";"
	}
	return "config = {" + g.opt() + strings.Join(entries, sep) + tail + g.opt() + "}" + end
}

func (g *gen) structDef() string {
	fields := []string{}
	for i := 1 + g.n(4); i > 0; i-- {
		fields = append(fields, pick(g, "int a", "unsigned long b", "char name[16]", "struct task_struct *t", "u64 c", "int x, y", "void *p", "int bits : 3", "uint8_t d[4]", "union { int u; long v; } w"))
	}
	name := pick(g, "foo", "bar", "Baz", "my_s")
	kw := pick(g, "struct", "struct", "union")
	s := kw + " " + name + g.opt() + "{" + g.opt()
	for _, f := range fields {
		s += f + ";" + g.opt()
	}
	return s + "}" + pick(g, "", ";", ";", "\n")
}

func (g *gen) enumDef() string {
	s := "enum " + pick(g, "", "color ", "e ") + "{" + g.opt()
	var items []string
	for i := 1 + g.n(3); i > 0; i-- {
		it := pick(g, "RED", "GREEN", "BLUE", "A1", "B_2")
		if g.chance(0.4) {
			it += " = " + pick(g, "1", "0x10", "-1", "2")
		}
		items = append(items, it)
	}
	s += strings.Join(items, ","+g.opt()) + pick(g, "", ",") + g.opt() + "}"
	return s + pick(g, ";", "", ";")
}

func (g *gen) macroDef() string {
	name := pick(g, "add", "twice", "m", "show")
	params := []string{}
	for i := g.n(3); i > 0; i-- {
		params = append(params, pick(g, "x", "y", "$a", "$b", "@m"))
	}
	body := pick(g, "x + 1", "$a * 2", "printf(\"%d\\n\", 1)", "1", "$a = 1; $a + 2", "@m[1] = 2")
	if g.chance(0.3) {
		body += ";"
	}
	return "macro " + name + "(" + strings.Join(params, ", ") + ")" + g.opt() + "{" + g.opt() + body + g.opt() + "}"
}

// attach points, old and new, well formed and not.
var attachForms = []string{
	"BEGIN", "END", "begin", "end", "BEGIN", "END",
	"kprobe:vfs_read", "kprobe:vfs_*", "kretprobe:vfs_read", "k:vfs_write", "kr:vfs_write", "kprobe:vfs_read+8", "kprobe:ext4:ext4_file_open",
	"kretprobe:kmem_cache_alloc*", "kprobe:*sleep*",
	"tracepoint:syscalls:sys_enter_openat", "t:syscalls:sys_enter_*", "tracepoint:sched:sched_switch", "tracepoint:*:*", "tracepoint:syscalls:sys_exit_read",
	"rawtracepoint:sched_switch", "rawtracepoint:vmlinux:sched_switch", "rt:sched_switch",
	"uprobe:/bin/bash:readline", "uretprobe:/bin/bash:readline", "u:/bin/bash:readline", "uprobe:\"/bin/bash\":readline", "uprobe:/bin/bash:0x1234",
	"uprobe:/usr/lib/x86_64-linux-gnu/libc.so.6:malloc", "uprobe:libc:malloc", "uprobe:/bin/bash:\"readline\"", "ur:/bin/bash:readline",
	"usdt:/bin/bash:probe", "usdt:/usr/bin/python3:python:function__entry", "U:/bin/bash:prov:p",
	"interval:s:1", "interval:ms:100", "interval:1s", "interval:100ms", "i:s:1", "interval:hz:10", "interval:us:500",
	"profile:hz:99", "profile:99", "profile:ms:10", "profile:s:1", "p:hz:49",
	"software:cpu-clock:1000000", "software:faults:100", "s:faults:1", "hardware:cache-misses:1000000", "h:cycles:1000000",
	"kfunc:vfs_read", "kretfunc:vfs_read", "fentry:vfs_read", "fexit:vfs_read", "fentry:xfs:xfs_file_open", "f:vfs_read", "fr:vfs_read",
	"iter:task", "iter:task_file", "iter:task:pin", "watchpoint:0x10000000:8:w", "asyncwatchpoint:0x10000000:8:rw",
	"self:signal:SIGUSR1", "test:one", "bench:one",
}

// oddAttach are attach points no release takes.
var oddAttach = []string{"kprobe:vfs_read:1", "uprobe:/bin/bash:readline%1", "kprobe:", "tracepoint:a", ":vfs_read", "kprobe:vfs read"}

func (g *gen) attach() string {
	a := pick(g, attachForms...)
	if g.odd() {
		a = pick(g, oddAttach...)
	}
	k := g.n(12)
	if g.dialect == 2 {
		k = 2 // 0.27 takes no white space around a colon
	}
	switch k {
	case 0: // white space after the first colon
		if i := strings.IndexByte(a, ':'); i > 0 {
			a = a[:i+1] + pick(g, " ", "  ", "\t") + a[i+1:]
		}
	case 1: // white space before it
		if i := strings.IndexByte(a, ':'); i > 0 {
			a = a[:i] + pick(g, " ", "\n", "/* c */") + a[i:]
		}
	}
	return a
}

func (g *gen) probe() string {
	var b strings.Builder
	n := 1
	if g.chance(0.3) {
		n += 1 + g.n(3)
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(pick(g, ",", ", ", ",\n", " ,", ",\n\t", " , "))
		}
		b.WriteString(g.attach())
	}
	if g.chance(0.08) {
		b.WriteString(pick(g, ",", ", ", ",\n"))
	}
	if g.chance(0.3) {
		// No white space before a predicate in 0.27 when the last
		// attach point ends with a word: "a:b /x/" is one path.
		b.WriteString(pick(g, " ", "\n", "\t") + "/" + g.opt() + g.exprNoDiv(2) + g.opt() + "/")
	}
	b.WriteString(pick(g, " ", "\n", "", "\n\n"))
	b.WriteString(g.block(0))
	return b.String()
}

func (g *gen) block(level int) string {
	var b strings.Builder
	b.WriteString("{")
	n := g.n(4)
	if level == 0 {
		n++
	}
	nl := g.chance(0.6)
	for i := 0; i < n; i++ {
		if nl {
			b.WriteString("\n" + strings.Repeat("  ", level+1))
		} else {
			b.WriteString(g.opt())
		}
		s, braced := g.stmt(level)
		b.WriteString(s)
		last := i == n-1
		switch {
		case braced && !g.since(2), braced && g.chance(0.7), last && g.chance(0.3):
		default:
			b.WriteString(pick(g, ";", ";", "; "))
			if g.odd() {
				b.WriteString(";")
			}
		}
	}
	if nl {
		b.WriteString("\n" + strings.Repeat("  ", level))
	} else {
		b.WriteString(g.opt())
	}
	b.WriteString("}")
	return b.String()
}

// stmt is one statement; braced reports that it ends with a block.
func (g *gen) stmt(level int) (string, bool) {
	if level > 3 {
		return g.simpleStmt(), false
	}
	k := g.n(22)
	if k == 4 && !g.since(1) || k == 6 && !g.since(1) || k == 5 && !g.since(2) {
		k = 8
	}
	switch k {
	case 0, 1:
		return g.ifStmt(level), true
	case 2:
		return "unroll" + g.opt() + "(" + pick(g, "3", "1", "10", "N", "0", "101") + ")" + g.opt() + g.loopBlock(level), true
	case 3:
		return "while" + g.opt() + "(" + g.expr(2) + ")" + g.opt() + g.loopBlock(level), true
	case 4:
		return "for" + g.opt() + "(" + pick(g, "$kv", "$i", "$k") + pick(g, " : ", ":", " :") + pick(g, "@m", "@m0", "0..10", "0 .. $n", "1..N", "@") + ")" + g.opt() + g.loopBlock(level), true
	case 5:
		return g.block(level + 1), true
	case 6:
		return g.letStmt(), false
	case 7:
		if g.inLoop {
			return pick(g, "break", "continue"), false
		}
		return "return", false
	}
	return g.simpleStmt(), false
}

func (g *gen) loopBlock(level int) string {
	saved := g.inLoop
	g.inLoop = true
	defer func() { g.inLoop = saved }()
	return g.block(level + 1)
}

func (g *gen) ifStmt(level int) string {
	var s string
	if g.chance(0.85) || !g.since(2) {
		s = "if" + g.opt() + "(" + g.expr(2) + ")"
	} else {
		s = "if " + g.operand()
	}
	s += g.opt() + g.block(level+1)
	for g.chance(0.35) {
		s += g.sp() + "else" + g.sp()
		if g.chance(0.5) {
			s += "if" + g.opt() + "(" + g.expr(2) + ")" + g.opt() + g.block(level+1)
			continue
		}
		s += g.block(level + 1)
		break
	}
	return s
}

func (g *gen) letStmt() string {
	v := pick(g, "$x", "$y", "$s", "$t")
	switch g.n(4) {
	case 0:
		return "let " + v
	case 1:
		return "let " + v + g.opt() + ":" + g.opt() + g.typeName()
	case 2:
		return "let " + v + g.opt() + ":" + g.opt() + g.typeName() + " = " + g.expr(2)
	}
	return "let " + v + " = " + g.expr(2)
}

func (g *gen) typeName() string {
	return pick(g, "uint8", "int64", "uint32", "string", "struct task_struct *", "int8[4]", "bool", "uint64", "inet", "struct foo")
}

func (g *gen) lvalue() string {
	switch g.n(5) {
	case 0, 1:
		return pick(g, "$x", "$y", "$s", "$res", "$_", "$a1")
	case 2:
		return pick(g, "@", "@m", "@count", "@m0", "@_x")
	}
	return pick(g, "@m", "@", "@start", "@h") + "[" + g.keys() + "]"
}

func (g *gen) keys() string {
	var ks []string
	for i := 1 + g.n(3); i > 0; i-- {
		ks = append(ks, g.expr(1))
	}
	return strings.Join(ks, pick(g, ", ", ",", " , "))
}

func (g *gen) simpleStmt() string {
	switch g.n(12) {
	case 0, 1, 2:
		return g.lvalue() + g.opt() + "=" + g.opt() + g.expr(3)
	case 3:
		return g.lvalue() + g.opt() + pick(g, "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=") + g.opt() + g.expr(2)
	case 4:
		return pick(g, "$x++", "$x--", "++$x", "--@m[1]", "@c++", "@m[pid]++")
	case 5:
		return g.lvalue() + " = " + pick(g, "count()", "sum(arg0)", "hist(retval)", "lhist($x, 0, 100, 10)", "avg(1)", "min($x)", "max(nsecs)", "stats(5)")
	case 6:
		return pick(g, "delete(@m[1])", "delete(@m, 1)", "delete(@m[1], @n[2])", "clear(@m)", "zero(@m)", "print(@m)", "print(@m, 10)", "print(@m, 10, 2)", "print($x)", "print((1, \"a\"))")
	case 7:
		return pick(g, "exit()", "exit(1)", "exit();exit()", "signal(\"KILL\")", "system(\"ls\")", "cat(\"/proc/loadavg\")", "time(\"%H:%M:%S\\n\")", "join(arg1)", "printf(\"%s\\n\", strftime(\"%H\", nsecs))")
	}
	return g.printf()
}

func (g *gen) printf() string {
	n := g.n(4)
	fmtStr := strings.Repeat(pick(g, "%d ", "%s ", "%-6d ", "%llu", "%x", "%5.2s", "%%"), n)
	args := ""
	for i := 0; i < n; i++ {
		args += "," + g.opt() + g.expr(2)
	}
	fn := "printf"
	if g.since(2) && g.chance(0.2) {
		fn = pick(g, "errorf", "warnf")
	}
	return fn + "(\"" + fmtStr + pick(g, "\\n", "", "\\t\\\"", "\\x41") + "\"" + args + ")"
}

// operand is a primary expression, postfix operators included.
func (g *gen) operand() string {
	g.depth++
	defer func() { g.depth-- }()
	k := g.n(14)
	if g.depth > 2 && k >= 8 {
		k = g.n(8)
	}
	switch k {
	case 0, 1:
		return g.intLit()
	case 2:
		return g.strLit()
	case 3:
		return pick(g, "$x", "$y", "$s", "$1", "$#", "$res", "$2")
	case 4:
		return pick(g, "@m", "@", "@m[1]", "@start[tid]", "@m[1, \"a\"]", "@m[(1, 2)]", "@m[pid, comm]")
	case 5, 6:
		b := pick(g, "pid", "tid", "uid", "gid", "nsecs", "elapsed", "cpu", "comm", "kstack", "ustack", "arg0", "arg1", "retval",
			"func", "probe", "curtask", "rand", "cgroup", "cpid", "numaid", "jiffies", "sarg0", "args", "ctx", "true", "false", "username", "kstack(3)", "ustack(perf)", "nsecs(monotonic)")
		if !g.since(1) && (strings.HasPrefix(b, "nsecs(") || b == "true" || b == "false") {
			return "pid"
		}
		return b
	case 7:
		return pick(g, "args->filename", "args.filename", "args->fd", "curtask->pid", "curtask->real_parent->tgid", "(*curtask).pid",
			"args->argv[0]", "$x.a", "$t->name", "((struct foo *)arg0)->a", "$x.0", "@m[1].a")
	case 8:
		return g.call()
	case 9:
		return "(" + g.typeForCast() + ")" + g.opt() + g.operand()
	case 10:
		return "(" + g.expr(2) + ")"
	case 11:
		return "(" + g.expr(1) + "," + g.opt() + g.expr(1) + pick(g, "", ", \"z\"") + ")"
	case 12:
		if g.since(2) {
			return pick(g, "(a = 1, b = \"x\")", "&$x", "&@m", "{ $z = 1; $z + 1 }", "()", "(1,)")
		}
		return pick(g, "sizeof(int)", "sizeof($x)", "sizeof(struct task_struct)", "offsetof(struct task_struct, pid)", "offsetof(struct foo, a)", "N", "RED", "MAX(1, 2)")
	}
	if g.chance(0.3) {
		return g.lvalue() + pick(g, "++", "--")
	}
	if g.odd() {
		return g.operand() + pick(g, "++", "--")
	}
	return g.operand() + pick(g, "[0]", "[1]", ".a", "->b")
}

func (g *gen) typeForCast() string {
	if g.odd() {
		return pick(g, "unsigned int", "signed char", "struct a b", "int[", "uint8[]")
	}
	if g.since(1) && g.chance(0.2) {
		return pick(g, "uint8[4]", "enum color", "int8[2]")
	}
	return pick(g, "uint8", "int32", "uint64", "int8", "int16", "struct task_struct *", "struct foo*", "struct sock *", "bool", "char *", "int64", "long", "unsigned", "void *", "u32")
}

func (g *gen) call() string {
	switch g.n(3) {
	case 0:
		return pick(g, "str(", "str(", "ksym(", "usym(", "kaddr(", "ntop(", "buf(", "strlen(", "macaddr(", "cgroupid(", "reg(", "uptr(", "kptr(", "path(") + g.expr(2) + pick(g, ")", ", 8)", ", 16)")
	case 1:
		if !g.since(1) {
			return pick(g, "strncmp(comm, \"bash\", 4)", "kstack(perf, 5)", "ntop(2, arg0)", "pton(\"127.0.0.1\")", "cgroupid(\"/sys/fs/cgroup\")", "macaddr(arg0)")
		}
		return pick(g, "strncmp(comm, \"bash\", 4)", "strcontains(comm, \"sh\")", "has_key(@m, 1)", "len(@m)", "len(ustack)", "bswap(1)", "pton(\"127.0.0.1\")",
			"skboutput(\"f\", arg0, 10, 0)", "strerror(1)", "kstack(perf, 5)", "offsetof(struct foo, a)", "getopt(\"x\", 1)", "percpu_kaddr(\"x\")", "add(1, 2)", "twice!(1)", "socket_cookie(arg0)")
	}
	return pick(g, "count()", "sum(1)", "hist(1)", "print(1)", "exit()")
}

func (g *gen) intLit() string {
	if g.since(2) && g.chance(0.1) {
		return pick(g, "1s", "10ms", "5us", "100ns", "2m", "1h", "1d", "true", "false")
	}
	if g.dialect == 3 && g.chance(0.15) { // spellings some or every release refuses
		return pick(g, "1.5", "0b101", "1e", "1_", "10u8", "0x", "1d", "9223372036854775808", "1E6", "0x_1", "1__0", "1e-3", "0xg", "1u64", "1i", "'a'", "'\\n'")
	}
	return pick(g, "0", "1", "42", "1000", "0x1f", "0XFF", "1_000", "1_000_000", "1e6", "5e3", "5u", "10ul", "7LL", "3ULL",
		"0777", "18446744073709551615", "1", "2", "100", "4096")
}

func (g *gen) strLit() string {
	return pick(g, `"abc"`, `""`, `"a\"b"`, `"\t\x41\n"`, `"%d\n"`, `"a b c"`, `"\\"`, `"/"`, `"{"`, `"'"`, `"\101"`, `"é"`)
}

var binOps = []string{"+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "==", "!=", "<", "<=", ">", ">=", "&&", "||"}

// expr is an expression of at most depth levels of operators.
func (g *gen) expr(depth int) string {
	if depth <= 0 || g.chance(0.5) {
		return g.unary()
	}
	switch g.n(10) {
	case 0:
		return g.expr(depth-1) + g.opt() + "?" + g.opt() + g.expr(depth-1) + g.opt() + ":" + g.opt() + g.expr(depth-1)
	case 1:
		if g.since(2) {
			return g.expr(depth-1) + pick(g, " ?: ", "?:") + g.expr(depth-1)
		}
	}
	op := pick(g, binOps...)
	return g.expr(depth-1) + g.opSpace() + op + g.opSpace() + g.expr(depth-1)
}

// exprNoDiv is an expression with no '/' outside parentheses (a
// predicate's).
func (g *gen) exprNoDiv(depth int) string {
	for range 20 {
		e := g.expr(depth)
		if !topLevelSlash(e) {
			return e
		}
	}
	return "pid == 1"
}

func topLevelSlash(e string) bool {
	depth := 0
	inStr := false
	for i := 0; i < len(e); i++ {
		switch c := e[i]; {
		case c == '"' && (i == 0 || e[i-1] != '\\'):
			inStr = !inStr
		case inStr:
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case c == '/' && depth == 0:
			return true
		}
	}
	return false
}

func (g *gen) opSpace() string {
	if g.chance(0.7) {
		return " "
	}
	return g.opt()
}

func (g *gen) unary() string {
	if g.chance(0.15) {
		return pick(g, "!", "~", "-", "*", "-", "!") + g.operand()
	}
	return g.operand()
}

// A mutator of real scripts: each mutant is a few token edits away from
// its source (a token deleted, duplicated, swapped with the next one,
// replaced by punctuation, or white space, a comment or a newline
// inserted between two tokens or inside one).

type tokSpan struct{ pos, end int }

// scriptTokens are the tokens of src as our lexer reads them (attach
// points in pieces, which is what a mutation wants).
func scriptTokens(src string) []tokSpan {
	lx := &lexer{src: src}
	var out []tokSpan
	for {
		t := lx.next()
		if t.kind == tEOF || len(out) > 100000 {
			return out
		}
		out = append(out, tokSpan{t.pos, t.end})
	}
}

var mutPuncts = []string{";", ",", ":", "{", "}", "(", ")", "[", "]", "/", "=", "+", "*", "?", ".", "->", "$", "@", "\"", "..", "!", "&", "#"}

// mutate applies 1 to 3 edits of seed to src.
func mutate(src string, seed uint64) (string, string) {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x6d7574616e7421))}
	var what []string
	for i := 1 + g.n(3); i > 0; i-- {
		toks := scriptTokens(src)
		if len(toks) < 2 {
			break
		}
		k := g.n(len(toks))
		t := toks[k]
		switch g.n(8) {
		case 0:
			src = src[:t.pos] + src[t.end:]
			what = append(what, "delete")
		case 1:
			src = src[:t.end] + g.sp() + src[t.pos:t.end] + src[t.end:]
			what = append(what, "duplicate")
		case 2:
			if k+1 < len(toks) {
				u := toks[k+1]
				src = src[:t.pos] + src[u.pos:u.end] + src[t.end:u.pos] + src[t.pos:t.end] + src[u.end:]
				what = append(what, "swap")
			}
		case 3:
			src = src[:t.pos] + pick(g, mutPuncts...) + src[t.end:]
			what = append(what, "replace")
		case 4:
			src = src[:t.end] + pick(g, mutPuncts...) + src[t.end:]
			what = append(what, "insert punct")
		case 5, 6:
			ws := pick(g, " ", "\n", "\t", "/* x */", "// x\n", "\n\n", " ")
			src = src[:t.end] + ws + src[t.end:]
			what = append(what, "insert space")
		case 7:
			if t.end-t.pos > 1 {
				at := t.pos + 1 + g.n(t.end-t.pos-1)
				src = src[:at] + pick(g, " ", "\n", "/**/") + src[at:]
				what = append(what, "split")
			}
		}
	}
	return src, strings.Join(what, ", ")
}
