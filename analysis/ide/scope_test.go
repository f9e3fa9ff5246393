package ide

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kgent/kgent/analysis"
)

// occ names the n-th (0-based) occurrence of sub in a test source, and
// at the offset of word inside it (sub gives context: "pid)" finds the
// pid before a parenthesis).
type ref struct {
	sub  string
	n    int
	word string // the name inside sub; sub itself when empty
}

func (r ref) span(t *testing.T, text string) analysis.Span {
	t.Helper()
	w := r.word
	if w == "" {
		w = r.sub
	}
	// The first whole word w in sub.
	i := -1
	for j := 0; j+len(w) <= len(r.sub); j++ {
		if r.sub[j:j+len(w)] == w && (j == 0 || !isWord(r.sub[j-1])) && (j+len(w) == len(r.sub) || !isWord(r.sub[j+len(w)])) {
			i = j
			break
		}
	}
	if i < 0 {
		t.Fatalf("%q not in %q", w, r.sub)
	}
	s := at(t, text, r.sub, r.n) + i
	return analysis.Span{Start: s, End: s + len(w)}
}

func spansText(text string, sps []analysis.Span) string {
	var b strings.Builder
	for _, sp := range sps {
		line := strings.Count(text[:sp.Start], "\n") + 1
		fmt.Fprintf(&b, "%d:%d %q; ", line, sp.Start, text[sp.Start:sp.End])
	}
	return b.String()
}

// checkDef asserts that the name at from is defined at want.
func checkDef(t *testing.T, d analysis.Dialect, text string, from, want ref) {
	t.Helper()
	f := from.span(t, text)
	w := want.span(t, text)
	// The cursor at the start, inside and at the end of the name.
	for _, off := range []int{f.Start, (f.Start + f.End) / 2, f.End} {
		sp, ok := Definition(text, off, d)
		if !ok || sp != w {
			t.Fatalf("definition at %d (%v in %q): %v %v (%s), want %v", off, from, text[f.Start:f.End], sp, ok, spansText(text, []analysis.Span{sp}), w)
		}
	}
}

// checkRefs asserts the references of the name at from, declarations
// included, are exactly want, and without declarations are want less
// the definition.
func checkRefs(t *testing.T, d analysis.Dialect, text string, from ref, want ...ref) {
	t.Helper()
	f := from.span(t, text)
	got := References(text, f.Start, d, true)
	var ws []analysis.Span
	for _, w := range want {
		ws = append(ws, w.span(t, text))
	}
	if spansText(text, got) != spansText(text, ws) {
		t.Fatalf("references of %v:\n got  %s\n want %s", from, spansText(text, got), spansText(text, ws))
	}
	def, ok := Definition(text, f.Start, d)
	if !ok {
		return
	}
	noDecl := References(text, f.Start, d, false)
	for _, sp := range noDecl {
		if sp == def {
			t.Fatalf("references without declarations include the definition %v", def)
		}
	}
	if len(noDecl) >= len(got) {
		t.Fatalf("references without declarations %s, with %s", spansText(text, noDecl), spansText(text, got))
	}
}

const cTwoFuncs = `#include "vmlinux.h"

SEC("kprobe/do_exit")
int first(struct pt_regs *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	bpf_printk("pid %d", pid);
	return pid;
}

SEC("kprobe/do_exit")
int second(struct pt_regs *ctx)
{
	u32 pid = bpf_get_current_pid_tgid();
	if (pid == 0)
		return 1;
	return pid;
}
`

// The bug this index replaced: the second function's pid went to the
// first function's declaration.
func TestDefinitionTwoFunctions(t *testing.T) {
	c := analysis.DialectC
	checkDef(t, c, cTwoFuncs, ref{"pid ==", 0, "pid"}, ref{"u32 pid", 1, "pid"})
	checkDef(t, c, cTwoFuncs, ref{"return pid", 1, "pid"}, ref{"u32 pid", 1, "pid"})
	checkDef(t, c, cTwoFuncs, ref{"return pid", 0, "pid"}, ref{"u32 pid", 0, "pid"})
	checkDef(t, c, cTwoFuncs, ref{"ctx", 1, ""}, ref{"ctx", 1, ""})
	checkRefs(t, c, cTwoFuncs, ref{"return pid", 0, "pid"},
		ref{"u32 pid", 0, "pid"}, ref{", pid)", 0, "pid"}, ref{"return pid", 0, "pid"})
	checkRefs(t, c, cTwoFuncs, ref{"u32 pid", 1, "pid"},
		ref{"u32 pid", 1, "pid"}, ref{"pid ==", 0, "pid"}, ref{"return pid", 1, "pid"})
	// "pid %d" in the string is not a reference.
	edits, err := Rename(cTwoFuncs, at(t, cTwoFuncs, "pid ==", 0), c, "who")
	if err != nil || len(edits) != 3 {
		t.Fatalf("rename: %v %+v", err, edits)
	}
	if got := apply(cTwoFuncs, edits); strings.Count(got, "who") != 3 || !strings.Contains(got, "u32 pid = bpf_get_current_pid_tgid() >> 32;") || !strings.Contains(got, "if (who == 0)") {
		t.Fatalf("renamed:\n%s", got)
	}
}

func apply(text string, edits []analysis.Edit) string {
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		text = text[:e.Span.Start] + e.NewText + text[e.Span.End:]
	}
	return text
}

const cScopes = `#define MAX 64
#define LIMIT (MAX * 2)
struct event {
	u32 pid;
	char comm[MAX];
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX);
} counts SEC(".maps");

int total;
static int helper(int n);

/* counts and total in a comment */
SEC("tp/sched/sched_switch")
int sw(void *ctx)
{
	int v = total;
	int total = v + 1;
	{
		int v = 2;
		v++;
		{
			v += total;
		}
	}
	for (int i = 0; i < MAX; i++) {
		int j = i;
		v += j;
	}
	for (int i = 1; i < LIMIT; i++)
		v -= i;
	struct event *e = bpf_map_lookup_elem(&counts, &v);
	if (e)
		e->pid = v;
	bpf_printk("counts %d", helper(v));
	return v;
}

static int helper(int n)
{
	return n + total;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, int n)
{
	int pid = BPF_CORE_READ(p, pid);
	return pid + n + sw(0);
}
`

func TestScopesC(t *testing.T) {
	c := analysis.DialectC
	src := cScopes
	// Shadowing: the outer v, the inner v, the inner v seen from a
	// nested block.
	checkDef(t, c, src, ref{"v + 1", 0, "v"}, ref{"int v = total", 0, "v"})
	checkDef(t, c, src, ref{"v++", 0, "v"}, ref{"int v = 2", 0, "v"})
	checkDef(t, c, src, ref{"v += total", 0, "v"}, ref{"int v = 2", 0, "v"})
	checkDef(t, c, src, ref{"return v", 0, "v"}, ref{"int v = total", 0, "v"})
	// A use before the local declaration is the global; after it, the
	// local, also in nested blocks.
	checkDef(t, c, src, ref{"int v = total", 0, "total"}, ref{"int total;", 0, "total"})
	checkDef(t, c, src, ref{"v += total", 0, "total"}, ref{"int total = v", 0, "total"})
	checkDef(t, c, src, ref{"n + total", 0, "total"}, ref{"int total;", 0, "total"})
	checkRefs(t, c, src, ref{"int total;", 0, "total"},
		ref{"int total;", 0, "total"}, ref{"int v = total", 0, "total"}, ref{"n + total", 0, "total"})
	checkRefs(t, c, src, ref{"int v = 2", 0, "v"},
		ref{"int v = 2", 0, "v"}, ref{"v++", 0, "v"}, ref{"v += total", 0, "v"})
	// for-loop variables: one per loop.
	checkDef(t, c, src, ref{"i < MAX", 0, "i"}, ref{"int i = 0", 0, "i"})
	checkDef(t, c, src, ref{"int j = i", 0, "i"}, ref{"int i = 0", 0, "i"})
	checkDef(t, c, src, ref{"v -= i", 0, "i"}, ref{"int i = 1", 0, "i"})
	checkRefs(t, c, src, ref{"i < LIMIT", 0, "i"},
		ref{"int i = 1", 0, "i"}, ref{"i < LIMIT", 0, "i"}, ref{"i++)\n", 0, "i"}, ref{"v -= i", 0, "i"})
	// Parameters, a prototype and its definition.
	checkDef(t, c, src, ref{"n + total", 0, "n"}, ref{"int n)\n{", 0, "n"})
	checkDef(t, c, src, ref{"helper(v)", 0, "helper"}, ref{"helper(int n)\n{", 0, "helper"})
	checkRefs(t, c, src, ref{"helper(v)", 0, "helper"},
		ref{"helper(int n);", 0, "helper"}, ref{"helper(v)", 0, "helper"}, ref{"helper(int n)\n{", 0, "helper"})
	// The prototype's parameter is its own.
	checkRefs(t, c, src, ref{"int n);", 0, "n"}, ref{"int n);", 0, "n"})
	// Macros: in a map field, in an array size, in a loop, in another
	// macro's body.
	checkDef(t, c, src, ref{"i < MAX", 0, "MAX"}, ref{"MAX", 0, ""})
	checkRefs(t, c, src, ref{"MAX", 0, ""},
		ref{"MAX", 0, ""}, ref{"MAX", 1, ""}, ref{"MAX", 2, ""}, ref{"MAX", 3, ""}, ref{"MAX", 4, ""})
	// A map: not in the comment or the string.
	checkRefs(t, c, src, ref{"&counts", 0, "counts"}, ref{"} counts", 0, "counts"}, ref{"&counts", 0, "counts"})
	// Field names are not variables.
	if _, ok := Definition(src, at(t, src, "e->pid", 0)+4, c); ok {
		t.Fatal("definition of a field after ->")
	}
	if refs := References(src, at(t, src, "e->pid", 0)+4, c, true); len(refs) != 0 {
		t.Fatalf("references of a field: %s", spansText(src, refs))
	}
	checkRefs(t, c, src, ref{"int pid =", 0, "pid"}, ref{"int pid =", 0, "pid"}, ref{"return pid", 0, "pid"})
	// BPF_PROG(name, ...): the name is the function's.
	checkDef(t, c, src, ref{"sw(0)", 0, "sw"}, ref{"int sw(", 0, "sw"})
	checkDef(t, c, src, ref{"pid + n", 0, "n"}, ref{"int n)\n{\n\tint pid", 0, "n"})
	checkDef(t, c, src, ref{"(p, pid)", 0, "p"}, ref{"*p,", 0, "p"})
	checkRefs(t, c, src, ref{"on_exec", 0, ""}, ref{"on_exec", 0, ""})
	// Names declared nowhere in the document: no definition; their
	// references are their other uses.
	if _, ok := Definition(src, at(t, src, "bpf_map_lookup_elem", 0)+1, c); ok {
		t.Fatal("definition of a helper")
	}
	checkRefs(t, c, src, ref{"bpf_printk", 0, ""}, ref{"bpf_printk", 0, ""})
}

func TestRenameC(t *testing.T) {
	c := analysis.DialectC
	src := cScopes
	rename := func(from ref, name string) ([]analysis.Edit, error) {
		return Rename(src, from.span(t, src).Start, c, name)
	}
	// The inner v becomes w: the outer v stays.
	edits, err := rename(ref{"v++", 0, "v"}, "w")
	if err != nil {
		t.Fatal(err)
	}
	got := apply(src, edits)
	for _, want := range []string{"int w = 2;", "w++;", "w += total;", "int v = total;", "return v;"} {
		if !strings.Contains(got, want) {
			t.Fatalf("renamed inner v, no %q:\n%s", want, got)
		}
	}
	// The global total: the local total and its uses stay.
	edits, err = rename(ref{"int total;", 0, "total"}, "sum")
	if err != nil {
		t.Fatal(err)
	}
	got = apply(src, edits)
	for _, want := range []string{"int sum;", "int v = sum;", "n + sum;", "int total = v + 1;", "v += total;", "counts and total in a comment"} {
		if !strings.Contains(got, want) {
			t.Fatalf("renamed the global total, no %q:\n%s", want, got)
		}
	}
	// A macro, in a map field and in another macro's body.
	edits, err = rename(ref{"MAX", 0, ""}, "CAP")
	if err != nil || strings.Count(apply(src, edits), "CAP") != 5 {
		t.Fatalf("rename MAX: %v %s", err, apply(src, edits))
	}

	for _, tc := range []struct {
		name string
		from ref
		to   string
		why  string
	}{
		{"not an identifier", ref{"v++", 0, "v"}, "2x", "not a C identifier"},
		{"empty", ref{"v++", 0, "v"}, "", "not a C identifier"},
		{"keyword", ref{"v++", 0, "v"}, "while", "keyword"},
		{"a type", ref{"v++", 0, "v"}, "u32", "type"},
		{"same scope", ref{"int j", 0, "j"}, "i", "captur"}, // i of the loop is visible in its body
		{"same block", ref{"int total =", 0, "total"}, "v", "already declared"},
		{"capture a reference", ref{"int total;", 0, "total"}, "v", "capture"},
		{"capture a use", ref{"int v = 2", 0, "v"}, "total", "capture"},
		{"shadow a global's use", ref{"n + total", 0, "n"}, "total", "capture"},
		{"a macro's name", ref{"v++", 0, "v"}, "LIMIT", "macro"},
		{"a helper", ref{"bpf_printk", 0, ""}, "print", "not declared in this document"},
		{"a field", ref{"e->pid", 0, "pid"}, "tgid", "no variable"},
		{"a function to a global", ref{"int sw(", 0, "sw"}, "total", "already declared"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edits, err := rename(tc.from, tc.to)
			if err == nil || !errors.Is(err, ErrRename) || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("rename to %q: %v %+v, want an error about %q", tc.to, err, edits, tc.why)
			}
		})
	}
	if _, err := PrepareRename(src, at(t, src, "bpf_printk", 0), c); err == nil {
		t.Fatal("prepareRename of a helper")
	}
	sp, err := PrepareRename(src, at(t, src, "v++", 0), c)
	if err != nil || src[sp.Start:sp.End] != "v" {
		t.Fatalf("prepareRename: %v %v", sp, err)
	}
}

// A definition reads the function around the cursor and the file's top
// level; it still finds a macro defined inside another function's body,
// and answers as the whole file's index does.
func TestDefinitionPartial(t *testing.T) {
	c := analysis.DialectC
	src := `int a(void)
{
#define LOCAL_MAX 8
	return LOCAL_MAX;
}

int b(void)
{
	int n = LOCAL_MAX;
	return n + a();
}
`
	checkDef(t, c, src, ref{"n = LOCAL_MAX", 0, "LOCAL_MAX"}, ref{"LOCAL_MAX", 0, ""})
	for _, text := range []string{src, cScopes, cTwoFuncs} {
		whole := buildC(text, -1)
		for off := 0; off <= len(text); off++ {
			resetIndexCache()
			got, ok := Definition(text, off, c)
			want, wok := analysis.Span{}, false
			if o, found := whole.at(off); found && whole.ents[o.ent].kind != entExternal {
				want, wok = whole.ents[o.ent].def, true
			}
			if got != want || ok != wok {
				t.Fatalf("offset %d: definition %v %v, the whole file's index %v %v", off, got, ok, want, wok)
			}
		}
	}
}

// The arguments of BPF_CORE_READ and its kin after the source are field
// names, not the locals of the same spelling.
func TestCoreReadFields(t *testing.T) {
	c := analysis.DialectC
	src := `int f(struct task_struct *p)
{
	int tgid = 0, pid = 0;
	BPF_CORE_READ_INTO(&pid, p, real_parent, tgid);
	pid += BPF_CORE_READ(p, tgid) + BPF_CORE_READ_USER(p, real_parent, pid);
	return tgid + pid;
}
`
	checkRefs(t, c, src, ref{"int tgid", 0, "tgid"}, ref{"int tgid", 0, "tgid"}, ref{"tgid + pid", 0, "tgid"})
	checkRefs(t, c, src, ref{"pid = 0", 0, "pid"},
		ref{"pid = 0", 0, "pid"}, ref{"&pid", 0, "pid"}, ref{"pid +=", 0, "pid"}, ref{"+ pid", 0, "pid"})
	checkRefs(t, c, src, ref{"p)", 0, "p"}, ref{"*p)", 0, "p"}, ref{"&pid, p,", 0, "p"}, ref{"(p, tgid", 0, "p"}, ref{"(p, real_parent, pid", 0, "p"})
}

func TestMacroBodies(t *testing.T) {
	c := analysis.DialectC
	src := `#define SHOW(x) bpf_printk("%d %d", x, pid)
int f(int pid)
{
	int x = 1;
	SHOW(x);
	return pid + x;
}
`
	// pid in the macro body may be f's parameter at the expansion: the
	// parameter cannot be renamed, x can.
	if _, err := Rename(src, at(t, src, "pid +", 0), c, "tgid"); err == nil || !strings.Contains(err.Error(), "macro") {
		t.Fatalf("renamed a name a macro body uses: %v", err)
	}
	edits, err := Rename(src, at(t, src, "x = 1", 0), c, "y")
	if err != nil || !strings.Contains(apply(src, edits), "SHOW(y);\n\treturn pid + y;") || !strings.Contains(apply(src, edits), "SHOW(x) bpf_printk(\"%d %d\", x, pid)") {
		t.Fatalf("rename x: %v\n%s", err, apply(src, edits))
	}
	// A macro's parameter is its own.
	checkRefs(t, c, src, ref{"SHOW(x)", 0, "x"}, ref{"SHOW(x)", 0, "x"}, ref{", x,", 0, "x"})
	// Renaming a local to a name a macro body uses is refused too.
	if _, err := Rename(src, at(t, src, "x = 1", 0), c, "pid"); err == nil {
		t.Fatal("renamed x to pid")
	}
}

const btScopes = `#!/usr/bin/env bpftrace
#define LIMIT 10
let @starts = hash(1024);

tracepoint:syscalls:sys_enter_read
{
	$x = args.count;
	@starts[tid] = nsecs;
	@bytes[comm] = sum($x);
}

tracepoint:syscalls:sys_exit_read /@starts[tid]/
{
	$x = nsecs - @starts[tid];
	if ($x > LIMIT) {
		let $y = $x / 1000;
		print($y);
	}
	{
		let $y = 2;
		$x += $y;
	}
	for ($kv : @bytes) {
		print($kv);
	}
	delete(@starts, tid);
	print($1);
}

END
{
	for ($kv : @bytes) {
		print($kv.0);
	}
	clear(@starts);
	print(@bytes);
}
`

func TestScopesBpftrace(t *testing.T) {
	bt := analysis.DialectBpftrace
	src := btScopes
	// $x in two probes: two variables.
	checkDef(t, bt, src, ref{"sum($x)", 0, "$x"}, ref{"$x = args", 0, "$x"})
	checkDef(t, bt, src, ref{"$x > LIMIT", 0, "$x"}, ref{"$x = nsecs", 0, "$x"})
	checkRefs(t, bt, src, ref{"$x = args", 0, "$x"}, ref{"$x = args", 0, "$x"}, ref{"sum($x)", 0, "$x"})
	checkRefs(t, bt, src, ref{"$x = nsecs", 0, "$x"},
		ref{"$x = nsecs", 0, "$x"}, ref{"$x > LIMIT", 0, "$x"}, ref{"$x / 1000", 0, "$x"}, ref{"$x += $y", 0, "$x"})
	// @starts is the script's: the let declares it; every probe, the
	// predicate, delete and clear use it.
	checkDef(t, bt, src, ref{"delete(@starts", 0, "@starts"}, ref{"let @starts", 0, "@starts"})
	checkRefs(t, bt, src, ref{"clear(@starts)", 0, "@starts"},
		ref{"@starts", 0, ""}, ref{"@starts", 1, ""}, ref{"@starts", 2, ""}, ref{"@starts", 3, ""}, ref{"@starts", 4, ""}, ref{"@starts", 5, ""})
	// @bytes: defined where first assigned, used by for in two probes.
	checkDef(t, bt, src, ref{"print(@bytes)", 0, "@bytes"}, ref{"@bytes[comm]", 0, "@bytes"})
	checkRefs(t, bt, src, ref{"@bytes", 1, ""}, ref{"@bytes", 0, ""}, ref{"@bytes", 1, ""}, ref{"@bytes", 2, ""}, ref{"@bytes", 3, ""})
	// let in a block: two $y.
	checkDef(t, bt, src, ref{"print($y)", 0, "$y"}, ref{"let $y = $x", 0, "$y"})
	checkDef(t, bt, src, ref{"$x += $y", 0, "$y"}, ref{"let $y = 2", 0, "$y"})
	checkRefs(t, bt, src, ref{"let $y = 2", 0, "$y"}, ref{"let $y = 2", 0, "$y"}, ref{"$x += $y", 0, "$y"})
	// for's variable: one per loop.
	checkRefs(t, bt, src, ref{"print($kv)", 0, "$kv"}, ref{"$kv : @bytes", 0, "$kv"}, ref{"print($kv)", 0, "$kv"})
	checkDef(t, bt, src, ref{"$kv.0", 0, "$kv"}, ref{"$kv : @bytes", 1, "$kv"})
	// A macro.
	checkDef(t, bt, src, ref{"> LIMIT", 0, "LIMIT"}, ref{"LIMIT", 0, ""})
	// Positional parameters, builtins and functions are not variables.
	for _, w := range []string{"$1", "nsecs", "print(@bytes", "tid]"} {
		if _, ok := Definition(src, at(t, src, w, 0)+1, bt); ok {
			t.Fatalf("definition of %s", w)
		}
	}
}

func TestRenameBpftrace(t *testing.T) {
	bt := analysis.DialectBpftrace
	src := btScopes
	edits, err := Rename(src, at(t, src, "$x > LIMIT", 0), bt, "$delta")
	if err != nil {
		t.Fatal(err)
	}
	got := apply(src, edits)
	if strings.Count(got, "$delta") != 4 || !strings.Contains(got, "$x = args.count;") || !strings.Contains(got, "sum($x)") {
		t.Fatalf("rename $x:\n%s", got)
	}
	// Without the sigil, the sigil is kept.
	edits, err = Rename(src, at(t, src, "@bytes", 0), bt, "total")
	if err != nil || strings.Count(apply(src, edits), "@total") != 4 {
		t.Fatalf("rename @bytes: %v\n%s", err, apply(src, edits))
	}
	// A variable of another probe is no collision.
	if _, err := Rename(src, at(t, src, "sum($x)", 0)+4, bt, "$kv"); err != nil {
		t.Fatalf("rename $x to a name of another probe: %v", err)
	}
	for _, tc := range []struct {
		from, to, why string
	}{
		{"$x > LIMIT", "@x", "must start with $"},
		{"@bytes[comm]", "$b", "must start with @"},
		{"$x > LIMIT", "$1", "not a bpftrace variable name"},
		{"$x > LIMIT", "$a-b", "not a bpftrace variable name"},
		{"@bytes[comm]", "@starts", "already declared"},
		{"$x > LIMIT", "$y", "capture"}, // the let $y blocks see $x
		{"let $y = 2", "$x", "capture"}, // $x += $y would read the new $x
		{"LIMIT) {", "MAX", "macro"},
		{"print($1)", "$2", "no variable"},
	} {
		t.Run(tc.from+"->"+tc.to, func(t *testing.T) {
			off := at(t, src, tc.from, 0)
			if tc.from == "let $y = 2" {
				off += 4
			}
			edits, err := Rename(src, off, bt, tc.to)
			if err == nil || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("rename to %s: %v %+v, want an error about %q", tc.to, err, edits, tc.why)
			}
		})
	}
	sp, err := PrepareRename(src, at(t, src, "@starts[tid] = nsecs", 0)+3, bt)
	if err != nil || src[sp.Start:sp.End] != "@starts" {
		t.Fatalf("prepareRename: %v %v", sp, err)
	}
}

// Bad input never crashes: garbage, broken code, offsets out of range,
// invalid UTF-8, in both dialects.
func TestScopesBadInput(t *testing.T) {
	inputs := []string{"", "{", "}", "int f( { int x = ", "\xff\xfe int \xc3 x = x;", "BEGIN { $x = ", "@", "$", "let $", "for ($k : ",
		"#define", "#define X(", "SEC(\"", "struct { __uint(max_entries, ", cScopes[:len(cScopes)/2], btScopes[:len(btScopes)/3],
		"BEGIN { { { let $x = 1; } $x } }", "int f() { for (;;) { int i; } i; }", strings.Repeat("{", 5000), strings.Repeat("(", 3000) + "x"}
	for _, d := range []analysis.Dialect{analysis.DialectC, analysis.DialectBpftrace, analysis.DialectNone} {
		for _, in := range inputs {
			for _, off := range []int{-5, 0, 1, len(in) / 2, len(in), len(in) + 7} {
				Definition(in, off, d)
				References(in, off, d, true)
				PrepareRename(in, off, d)
				edits, err := Rename(in, off, d, "fresh")
				if err == nil {
					for _, e := range edits {
						if e.Span.Start < 0 || e.Span.End > len(in) || e.Span.Start > e.Span.End {
							t.Fatalf("%s %q at %d: bad edit %+v", d, in, off, e)
						}
					}
				}
			}
		}
	}
}

// FuzzScopes: any text, any offset; spans stay inside the text, a
// definition is one of the references, and a rename's edits cover the
// references exactly.
func FuzzScopes(f *testing.F) {
	f.Add(cScopes, 300, true)
	f.Add(btScopes, 200, false)
	f.Add("int f(int a) { { int a; a; } return a; }", 30, true)
	f.Fuzz(func(t *testing.T, text string, off int, c bool) {
		d := analysis.DialectBpftrace
		if c {
			d = analysis.DialectC
		}
		refs := References(text, off, d, true)
		for _, sp := range refs {
			if sp.Start < 0 || sp.End > len(text) || sp.Start >= sp.End {
				t.Fatalf("bad span %v", sp)
			}
		}
		if def, ok := Definition(text, off, d); ok {
			found := false
			for _, sp := range refs {
				found = found || sp == def
			}
			if !found {
				t.Fatalf("definition %v not among the references %v", def, refs)
			}
		}
		if edits, err := Rename(text, off, d, "renamed_x"); err == nil {
			if len(edits) != len(refs) {
				t.Fatalf("%d edits, %d references", len(edits), len(refs))
			}
		}
		_ = utf8.ValidString(text)
	})
}

// bigC is about 1,000 lines of C: the verifier's valid program with its
// names numbered per copy, so that the file scope holds many names.
func bigC(b testing.TB) string {
	data, err := os.ReadFile("../verify/testdata/valid.bpf.c")
	if err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	for i := 0; strings.Count(sb.String(), "\n") < 1000; i++ {
		s := string(data)
		if i > 0 {
			s = s[strings.Index(s, "struct {"):]
			s = strings.ReplaceAll(s, "LICENSE", fmt.Sprintf("LICENSE%d", i))
		}
		for _, n := range []string{"counts", "count_switch", "pass_ipv4", "on_exec"} {
			s = strings.ReplaceAll(s, n, fmt.Sprintf("%s%d", n, i))
		}
		sb.WriteString(s)
	}
	return sb.String()
}

func bigBt() string {
	var sb strings.Builder
	for i := 0; strings.Count(sb.String(), "\n") < 1000; i++ {
		fmt.Fprintf(&sb, "kprobe:vfs_read%d\n{\n\t$t = nsecs;\n\t@start%d[tid] = $t;\n\tif ($t > 0) {\n\t\tlet $d = $t / 1000;\n\t\t@lat[comm] = hist($d);\n\t}\n}\n\n", i, i)
	}
	return sb.String()
}

// TestWorkersAgree: a file read by several workers (each a share of
// the top-level items, merged) has the index one reader builds: every
// occurrence with the definition it resolves to, whole and partial.
func TestWorkersAgree(t *testing.T) {
	src := bigC(t) + cScopes + cTwoFuncs
	saved := cWorkers
	defer func() { cWorkers = saved }()
	describe := func(workers, focus int) []string {
		cWorkers = func(int) int { return workers }
		x := buildC(src, focus)
		var out []string
		for _, o := range x.occs {
			e := x.ents[o.ent]
			out = append(out, fmt.Sprint(o.span, o.name, o.decl, e.def, e.kind, e.scope == 0, x.lookup(o.name, o.scope, o.span.Start) == o.ent))
		}
		return append(out, fmt.Sprint(x.focus, len(x.scopes), len(x.typeNames), len(x.macroNames)))
	}
	for _, focus := range []int{-1, len(src) / 3, strings.Index(src, "v += total"), len(src) - 10} {
		one, four := describe(1, focus), describe(4, focus)
		if len(one) < 100 {
			t.Fatalf("focus %d: %d occurrences", focus, len(one))
		}
		if len(one) != len(four) {
			t.Fatalf("focus %d: %d occurrences with one reader, %d with four", focus, len(one), len(four))
		}
		for i := range one {
			if one[i] != four[i] {
				t.Fatalf("focus %d: one reader %s, four %s", focus, one[i], four[i])
			}
		}
	}
}

func resetIndexCache() {
	indexCache.Lock()
	for i := range indexCache.entries {
		indexCache.entries[i].x, indexCache.entries[i].text = nil, ""
	}
	indexCache.Unlock()
}

// cpuTime is the CPU the process has used, all threads: on a machine
// shared with other work it is what a query costs, where the wall time
// also counts the waits for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDefinition1000: a definition and a references query on a
// 1,000-line document, the index built (cold, as after an edit) and
// cached (warm), of a local (c) and of a map (c-global). A definition
// reads only the function around the cursor and the file's top level;
// references read the whole file. cpu-ms/op is the CPU a cold query
// uses (the parse and the walk run on up to four threads).
func BenchmarkDefinition1000(b *testing.B) {
	for _, tc := range []struct {
		name string
		d    analysis.Dialect
		src  string
		at   string
	}{
		{"c", analysis.DialectC, bigC(b), "ppid);"},
		{"c-global", analysis.DialectC, bigC(b), "counts7, &key"},
		{"bpftrace", analysis.DialectBpftrace, bigBt(), "$d);"},
	} {
		off := strings.LastIndex(tc.src, tc.at) + 1
		if _, ok := Definition(tc.src, off, tc.d); !ok {
			b.Fatalf("%s: no definition at %q", tc.name, tc.at)
		}
		if len(References(tc.src, off, tc.d, true)) < 2 {
			b.Fatalf("%s: no references at %q", tc.name, tc.at)
		}
		for _, q := range []struct {
			name string
			f    func()
		}{
			{"definition", func() { Definition(tc.src, off, tc.d) }},
			{"references", func() { References(tc.src, off, tc.d, true) }},
		} {
			b.Run(tc.name+"-"+q.name+"-cold", func(b *testing.B) {
				start := cpuTime()
				for b.Loop() {
					resetIndexCache()
					q.f()
				}
				b.ReportMetric(float64((cpuTime()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			})
			b.Run(tc.name+"-"+q.name+"-warm", func(b *testing.B) {
				for b.Loop() {
					q.f()
				}
			})
		}
	}
}
