package ide

import (
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
)

// at returns the offset of the n-th (0-based) occurrence of sub.
func at(t *testing.T, text, sub string, n int) int {
	t.Helper()
	off := -1
	for i := 0; i <= n; i++ {
		j := strings.Index(text[off+1:], sub)
		if j < 0 {
			t.Fatalf("%q: occurrence %d not found", sub, n)
		}
		off += 1 + j
	}
	return off
}

const cNav = `#define MAX 64
struct {
	__uint(max_entries, MAX);
} counts SEC(".maps");

// counts in a comment, "counts" in a string
static int helper(struct task_struct *task, int n)
{
	u64 id = bpf_get_current_pid_tgid();
	if (id == n)
		return task->tgid;
	return counts;
}
`

func TestDefinitionC(t *testing.T) {
	for _, tc := range []struct {
		name  string
		from  int
		want  int // offset of the definition's start, -1 for none
		width int
	}{
		{"macro use", at(t, cNav, "MAX", 1), at(t, cNav, "MAX", 0), 3},
		{"map use", at(t, cNav, "counts", 3), at(t, cNav, "counts", 0), 6},
		{"local variable", at(t, cNav, "id ==", 0), at(t, cNav, "id =", 0), 2},
		{"parameter", at(t, cNav, "task->", 0), at(t, cNav, "task,", 0), 4},
		{"parameter after a comma", at(t, cNav, "n)\n", 0), at(t, cNav, "n)\n{", 0), 1},
		{"field is not a variable", at(t, cNav, "tgid", 0), -1, 0},
		{"number", at(t, cNav, "64", 0), -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp, ok := Definition(cNav, tc.from+1, analysis.DialectC)
			if tc.want < 0 {
				if ok {
					t.Fatalf("definition %v, want none", sp)
				}
				return
			}
			if !ok || sp.Start != tc.want || sp.Len() != tc.width {
				t.Fatalf("definition %v %v, want start %d width %d (%q)", sp, ok, tc.want, tc.width, cNav[sp.Start:sp.End])
			}
		})
	}
}

func TestDefinitionBpftrace(t *testing.T) {
	src := "BEGIN { $n = 1; @start[tid] = nsecs; }\nEND { if ($n == 1) { print(@start); } }\n"
	sp, ok := Definition(src, at(t, src, "start", 1)+1, analysis.DialectBpftrace)
	if !ok || sp.Start != at(t, src, "@start", 0) {
		t.Fatalf("@start: %v %v", sp, ok)
	}
	// $n is probe-local: END's is its own, used before any assignment.
	sp, ok = Definition(src, at(t, src, "$n", 1)+1, analysis.DialectBpftrace)
	if !ok || sp.Start != at(t, src, "$n", 1) {
		t.Fatalf("$n: %v %v", sp, ok)
	}
}

func TestFolds(t *testing.T) {
	src := "/* a\n   b */\nBEGIN\n{\n\tprintf(\"{\");\n}\nEND { }\nint f()\n{\n\tif (x) {\n\t\ty();\n\t}\n}\n"
	var got []string
	for _, f := range Folds(src) {
		got = append(got, strings.SplitN(src[f.Span.Start:f.Span.End], "\n", 2)[0])
	}
	want := []string{"/* a", "{", "{", "{"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("folds %q, want %q", got, want)
	}
	if Folds("}}{{\n") != nil {
		t.Fatal("unbalanced braces folded")
	}
}

func TestSymbolsBpftrace(t *testing.T) {
	src := "tracepoint:syscalls:sys_enter_openat,\ntracepoint:syscalls:sys_enter_open\n{\n\t@[comm] = count();\n}\nEND { }\n"
	syms := Symbols(src, analysis.DialectBpftrace, nil)
	if len(syms) != 2 || !strings.Contains(syms[0].Name, "sys_enter_open") || syms[1].Name != "END" || syms[0].Kind != SymbolProbe {
		t.Fatalf("%+v", syms)
	}
	if src[syms[0].NameSpan.Start:syms[0].NameSpan.End] != "tracepoint:syscalls:sys_enter_openat" {
		t.Fatalf("name span %v", syms[0].NameSpan)
	}
	if len(Symbols("\x00garbage {{", analysis.DialectBpftrace, nil)) > 1 {
		t.Fatal("symbols from garbage")
	}
}

func TestResolve(t *testing.T) {
	k := host(t)
	if doc := Resolve("helper:bpf_map_lookup_elem", k); !strings.Contains(doc, "void *bpf_map_lookup_elem(") || !strings.Contains(doc, "lookup") {
		t.Fatalf("helper doc %q", doc)
	}
	if doc := Resolve("func:tcp_v4_connect", k); !strings.Contains(doc, "tcp_v4_connect(struct sock *sk") {
		t.Fatalf("func doc %q", doc)
	}
	if Resolve("helper:bpf_nope", k) != "" || Resolve("garbage", k) != "" || Resolve("helper:x", nil) != "" {
		t.Fatal("resolved a name that does not exist")
	}
}
