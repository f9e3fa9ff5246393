package bpftrace

import (
	"fmt"
	"strings"
	"testing"
)

// sexpr prints an expression as an S-expression, to test precedence and
// the shape of the tree.
func sexpr(n Node) string {
	switch x := n.(type) {
	case *Ident:
		return x.Name
	case *IntLit:
		return x.Text
	case *StrLit:
		return `"` + x.Value + `"`
	case *Var:
		return x.Name
	case *MapRef:
		if len(x.Keys) == 0 {
			return x.Name
		}
		return "(" + x.Name + "[] " + list(x.Keys) + ")"
	case *Call:
		return "(call " + x.Name + " " + list(x.Args) + ")"
	case *Binary:
		return "(" + x.Op + " " + sexpr(x.L) + " " + sexpr(x.R) + ")"
	case *Unary:
		return "(" + x.Op + " " + sexpr(x.X) + ")"
	case *Ternary:
		return "(? " + sexpr(x.Cond) + " " + sexpr(x.Then) + " " + sexpr(x.Else) + ")"
	case *FieldAccess:
		op := "."
		if x.Arrow {
			op = "->"
		}
		return "(" + op + " " + sexpr(x.X) + " " + x.Name + ")"
	case *IndexExpr:
		return "(index " + sexpr(x.X) + " " + sexpr(x.Index) + ")"
	case *Cast:
		return fmt.Sprintf("(cast %s%s %s)", x.Type, strings.Repeat("*", x.Ptr), sexpr(x.X))
	case *Tuple:
		return "(tuple " + list(x.Elems) + ")"
	case *Assign:
		return "(" + x.Op + " " + sexpr(x.LHS) + " " + sexpr(x.RHS) + ")"
	case *BadExpr:
		return "BAD"
	case *Paren:
		return sexpr(x.X)
	case *BlockExpr:
		return "(blockexpr " + sexpr(x.Block) + ")"
	case *ExprStmt:
		return sexpr(x.X)
	case *IfStmt:
		s := "(if " + sexpr(x.Cond) + " " + sexpr(x.Then)
		if x.Else != nil {
			s += " " + sexpr(x.Else)
		}
		return s + ")"
	case *LoopStmt:
		s := "(" + x.Kind + " " + list(x.Head)
		if x.Range {
			s += " range"
		}
		return s + " " + sexpr(x.Body) + ")"
	case *ReturnStmt:
		if x.X == nil {
			return "(return)"
		}
		return "(return " + sexpr(x.X) + ")"
	case *BlockStmt:
		return sexpr(x.Block)
	case *Block:
		if x == nil {
			return "{nil}"
		}
		var parts []string
		for _, s := range x.Stmts {
			parts = append(parts, sexpr(s))
		}
		return "{" + strings.Join(parts, "; ") + "}"
	}
	return fmt.Sprintf("?%T", n)
}

func list[E Node](xs []E) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, sexpr(x))
	}
	return strings.Join(parts, " ")
}

func TestParseExpressions(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1 + 2 * 3", "(+ 1 (* 2 3))"},
		{"1 * 2 + 3", "(+ (* 1 2) 3)"},
		{"a || b && c", "(|| a (&& b c))"},
		{"a | b ^ c & d", "(| a (^ b (& c d)))"},
		{"a == b < c", "(== a (< b c))"},
		{"1 << 2 + 3", "(<< 1 (+ 2 3))"},
		{"a - b - c", "(- (- a b) c)"},
		{"-a * !b", "(* (- a) (! b))"},
		{"~x & 0xff", "(& (~ x) 0xff)"},
		{"c ? 1 : d ? 2 : 3", "(? c 1 (? d 2 3))"},
		{"$x++", "(post++ $x)"},
		{"--@c", "(-- @c)"},
		{"@m[pid, comm]", "(@m[] pid comm)"},
		{"@[1]", "(@[] 1)"},
		{"args->filename", "(-> args filename)"},
		{"args.prev->pid", "(-> (. args prev) pid)"},
		{"$t.0", "(. $t 0)"},
		{"((struct task_struct *)curtask)->real_parent->tgid", "(-> (-> (cast struct task_struct* curtask) real_parent) tgid)"},
		{"(uint8)$x", "(cast uint8 $x)"},
		{"*(uint32 *)arg0", "(* (cast uint32* arg0))"},
		{"(int64 *)0", "(cast int64* 0)"},
		{"(1, \"a\", $x)", "(tuple 1 \"a\" $x)"},
		{"(a + b) * c", "(* (+ a b) c)"},
		{"str(args->name, 16)", "(call str (-> args name) 16)"},
		{"sizeof(struct sock)", "(call sizeof (cast struct sock BAD))"},
		{"kstack(perf, 3)", "(call kstack perf 3)"},
		{"$a[3]", "(index $a 3)"},
		{"1_000_000 + 10u + 5ul", "(+ (+ 1_000_000 10u) 5ul)"},
		{"$1 + $#", "(+ $1 $#)"},
		{`"tab\t\"q\""`, `"tab\t\"q\""`},
		{"&@x", "(& @x)"},
		{"{ $a = 1; $a + 1 }", "(blockexpr {(= $a 1); (+ $a 1)})"},
		{"add_one!($v)", "(call add_one $v)"},
		{"(color = \"green\", size = 2)", "(tuple (= color \"green\") (= size 2))"},
		{"!a", "(! a)"},
	} {
		src := "BEGIN { @r = " + tc.in + "; }"
		f, errs := Parse(src)
		if len(errs) > 0 {
			t.Errorf("%s: %v", tc.in, errs)
			continue
		}
		a := f.Probes[0].Body.Stmts[0].(*ExprStmt).X.(*Assign)
		if got := sexpr(a.RHS); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.in, got, tc.want)
		}
		if sp := a.RHS.NodeSpan(); src[sp.Start:sp.End] != tc.in {
			t.Errorf("%s: span covers %q", tc.in, src[sp.Start:sp.End])
		}
	}
}

func TestParseStatements(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"if (a) { b; } else if (c) { d; } else { e; }", "{(if a {b} (if c {d} {e}))}"},
		{"if a > 1 { b; }", "{(if (> a 1) {b})}"},
		{"unroll(3) { $i++; }", "{(unroll 3 {(post++ $i)})}"},
		{"while ($i < 3) { $i += 1; if ($i == 2) { break; } continue; }", "{(while (< $i 3) {(+= $i 1); (if (== $i 2) {break}); break})}"},
		{"for ($kv : @m) { print($kv.0); }", "{(for $kv @m {(call print (. $kv 0))})}"},
		{"for ($i : 0..10) { @x = $i; }", "{(for $i 0 10 range {(= @x $i)})}"},
		{"return;", "{(return)}"},
		{"$x = 1; $y <<= 2; @z |= 4;", "{(= $x 1); (<<= $y 2); (|= @z 4)}"},
		{"let $p: uint32 = 1;", "{(= $p 1)}"},
		{"{ $x = 1; }", "{{(= $x 1)}}"},
		{"@x = count(); @y = hist(1)", "{(= @x (call count )); (= @y (call hist 1))}"},
	} {
		src := "BEGIN { " + tc.in + " }"
		f, errs := Parse(src)
		if len(errs) > 0 {
			t.Errorf("%s: %v", tc.in, errs)
			continue
		}
		if got := sexpr(f.Probes[0].Body); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestParseFileStructure(t *testing.T) {
	src := `#!/usr/bin/env bpftrace
#include <linux/sched.h>
#define MAX 10
struct conn { int fd; char name[16]; }
union u { int a; long b; };
config = { max_map_keys = 100; }
BEGIN { printf("start\n"); }
kprobe:vfs_read,
k:vfs_write,
uprobe:"/usr/lib/my lib.so":fn
/pid > 1/
{ @[probe] = count(); }
t:syscalls:sys_enter_* { @c[comm] = count(); $v = 1; $w = $v + $1; }
interval:s:1 { print(@c); }
END { clear(@c); }
`
	f, errs := Parse(src)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	var raws []string
	for _, p := range f.Probes {
		for _, ap := range p.Attach {
			raws = append(raws, ap.Raw)
			if src[ap.Span.Start:ap.Span.End] != ap.Raw {
				t.Errorf("attach span %q vs %q", src[ap.Span.Start:ap.Span.End], ap.Raw)
			}
			for i, part := range ap.Parts {
				if got := strings.Trim(src[ap.Spans[i].Start:ap.Spans[i].End], `"`); got != part {
					t.Errorf("part %d of %s: span %q, part %q", i, ap.Raw, got, part)
				}
			}
		}
		if !strings.HasSuffix(src[p.Span.Start:p.Span.End], "}") {
			t.Errorf("probe span %q", src[p.Span.Start:p.Span.End])
		}
	}
	want := []string{"BEGIN", "kprobe:vfs_read", "k:vfs_write", `uprobe:"/usr/lib/my lib.so":fn`, "t:syscalls:sys_enter_*", "interval:s:1", "END"}
	if strings.Join(raws, "|") != strings.Join(want, "|") {
		t.Errorf("attach points %q\nwant %q", raws, want)
	}
	if ap := f.Probes[1].Attach[2]; ap.Type != "uprobe" || len(ap.Parts) != 2 || ap.Parts[0] != "/usr/lib/my lib.so" {
		t.Errorf("quoted uprobe: %+v", ap)
	}
	if f.Probes[1].Pred == nil || sexpr(f.Probes[1].Pred) != "(> pid 1)" {
		t.Errorf("predicate %v", f.Probes[1].Pred)
	}
	if _, ok := f.Structs["conn"]; !ok {
		t.Error("struct conn not recorded")
	}
	if got := fmt.Sprint(f.StructFields["conn"]); got != "[fd name]" {
		t.Errorf("fields of conn %s", got)
	}
	if _, ok := f.Structs["u"]; !ok {
		t.Error("union u not recorded")
	}
	if _, ok := f.Macros["MAX"]; !ok {
		t.Error("#define MAX not recorded")
	}
	if f.Config.End == 0 || !strings.HasPrefix(src[f.Config.Start:f.Config.End], "config") {
		t.Errorf("config span %+v", f.Config)
	}
	if len(f.Directives) != 2 || f.Directives[0].Kind != "include" || f.Directives[0].Arg != "linux/sched.h" {
		t.Errorf("directives %+v", f.Directives)
	}
	var maps []string
	for _, m := range f.Maps() {
		maps = append(maps, m.Name)
	}
	if strings.Join(maps, " ") != "@ @c @c @c" {
		t.Errorf("maps %v", maps)
	}
	var vars []string
	for _, v := range f.Probes[2].Vars() {
		vars = append(vars, v.Name)
	}
	if strings.Join(vars, " ") != "$v $w $v" {
		t.Errorf("vars %v", vars)
	}
}

func TestParseStructFields(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"struct s { int a, b; unsigned long long c; char d[16]; int e:3; struct t *f; }", "[a b c d e f]"},
		{"struct s { int a; void (*fn)(int); }", "[]"},
		{"struct s { int a; struct { int x; } in; }", "[]"},
		{"struct s { }", "[]"},
	} {
		f, errs := Parse(tc.in)
		if len(errs) > 0 {
			t.Errorf("%s: %v", tc.in, errs)
		}
		if got := fmt.Sprint(f.StructFields["s"]); got != tc.want {
			t.Errorf("%s: fields %s, want %s", tc.in, got, tc.want)
		}
	}
	f, _ := Parse("struct s { int a; void (*fn)(int); }")
	if f.StructFields["s"] != nil {
		t.Error("a function pointer member must make the fields unknown (nil)")
	}
}

func TestParseGuards(t *testing.T) {
	src := "#ifndef BPFTRACE_HAVE_BTF\n#include <a.h>\n#else\n#include <b.h>\n#endif\n#ifdef X\n#if Y > 1\n#include <c.h>\n#endif\n#endif\n#include <d.h>\n"
	f, _ := Parse(src)
	got := map[string]string{}
	for _, d := range f.Directives {
		if d.Kind == "include" {
			got[d.Arg] = d.Guard
		}
	}
	want := map[string]string{"a.h": "!BPFTRACE_HAVE_BTF", "b.h": "BPFTRACE_HAVE_BTF", "c.h": "Y > 1", "d.h": ""}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("guards %v\nwant %v", got, want)
	}
}

// TestParseRecovery: one mistake is one finding, and what follows it is
// still parsed.
func TestParseRecovery(t *testing.T) {
	for _, tc := range []struct {
		in     string
		probes int
		frag   string
	}{
		{"BEGIN { @x = count( }\nEND { exit(); }", 2, "expected"},
		{"BEGIN { $x = 1 +; }\nEND { exit(); }", 2, "expected an expression"},
		{"BEGIN { $x = 1 $y = 2; }\nEND { exit(); }", 2, "expected ';'"},
		{"BEGIN { if (1) exit(); }\nEND { exit(); }", 2, "expected '{'"},
		{"BEGIN { printf(\"x); }\nEND { exit(); }", 2, "unterminated string"},
		{"t:a:b /pid { @ = count(); }\nEND { exit(); }", 2, "'/'"},
		{"BEGIN { $x = ); }\nEND { exit(); }", 2, "expected an expression"},
		{"BEGIN { $x = 1;\nEND { exit(); }", 2, "not closed"},
		{"BEGIN { if (1) { $x = 1;\n}\nt:syscalls:sys_enter_read { exit(); }", 2, "not closed"},
		{"BEGIN { @m[1 = 2; }\nEND { exit(); }", 2, "expected"},
		{"BEGIN { $x = (struct foo *; }\nEND { exit(); }", 2, "expected"},
		{"/* open comment\nBEGIN { }", 0, "unterminated comment"},
		{"BEGIN { $x = 1; } }\nEND { exit(); }", 2, ""},
	} {
		f, errs := Parse(tc.in)
		if len(errs) != 1 {
			t.Errorf("%q: %d findings %v, want 1", tc.in, len(errs), errs)
			continue
		}
		if !strings.Contains(errs[0].Message, tc.frag) {
			t.Errorf("%q: message %q lacks %q", tc.in, errs[0].Message, tc.frag)
		}
		if len(f.Probes) != tc.probes {
			t.Errorf("%q: %d probes, want %d", tc.in, len(f.Probes), tc.probes)
		}
		if sp := errs[0].Span; sp.Start < 0 || sp.End > len(tc.in) || sp.Start >= sp.End {
			t.Errorf("%q: bad span %+v", tc.in, sp)
		}
	}
}
