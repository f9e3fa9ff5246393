package bpfc

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
)

// chainSources are programs built around one expression of n terms: a
// field chain through a task pointer and a left-associative sum.
var chainSources = []struct {
	name string
	gen  func(n int) string
}{
	{"arrow", func(n int) string {
		return "#include \"vmlinux.h\"\nSEC(\"kprobe/do_exit\") int f(struct task_struct *t) { return t" + strings.Repeat("->parent", n) + "->pid; }\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n"
	}},
	{"plus", func(n int) string {
		return "#include \"vmlinux.h\"\nSEC(\"kprobe/do_exit\") int f(void *c) { int x = 1" + strings.Repeat("+1", n-1) + "; return x; }\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n"
	}},
}

// BenchmarkChain checks chains of 10k to 80k terms: the time grows with
// the length, not its square.
func BenchmarkChain(b *testing.B) {
	k := hostKBFor(b)
	k.Warm()
	for _, sc := range chainSources {
		for _, n := range []int{10000, 20000, 40000, 80000} {
			src := sc.gen(n)
			b.Run(fmt.Sprintf("%s-%d", sc.name, n), func(b *testing.B) {
				for b.Loop() {
					Check(src, Options{KB: k})
				}
			})
		}
	}
}

// TestDeepExpressions checks programs nested far deeper than any real one
// in the test process: a recursion over the tree without a bound
// overflows the goroutine stack, which ends the test binary. tree-sitter
// builds the deep tree in C; every walk over it from Go is a loop. The
// checks still find a misspelled field at the bottom of a 2M-link chain
// (and only there: the chain is walked once, not once per link), and the
// unknown helper before the deep part.
func TestDeepExpressions(t *testing.T) {
	k := hostKBFor(t)
	const head = "#include \"vmlinux.h\"\nSEC(\"kprobe/do_exit\") int f(struct task_struct *t) { bpf_unknown_thing(); "
	const tail = "; }\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n"
	for _, tc := range []struct {
		name  string
		src   string
		field int // KG401 findings expected
	}{
		{"arrow-2M", head + "return t->parnet" + strings.Repeat("->parent", 2_000_000) + "->pid" + tail, 1},
		{"plus-2M", head + "return 1" + strings.Repeat("+1", 2_000_000-1) + tail, 0},
		{"parens-100k", head + "return " + strings.Repeat("(", 100_000) + "t->pid" + strings.Repeat(")", 100_000) + tail, 0},
		{"parens-arrow-100k", head + "return " + strings.Repeat("(", 100_000) + "t" + strings.Repeat(")->parent", 100_000) + "->pdi" + tail, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fs []analysis.Finding
			testenv.HangGuard(t, 2*time.Minute, func() { fs = Check(tc.src, Options{KB: k}) })
			var unknown, field int
			for _, f := range fs {
				switch f.Code {
				case analysis.KG201:
					unknown++
				case analysis.KG401:
					field++
				case analysis.KG100:
					t.Errorf("syntax error in a valid program: %s", f.Message)
				}
			}
			if unknown != 1 || field != tc.field {
				t.Fatalf("%d KG201 and %d KG401, want 1 and %d: %+v", unknown, field, tc.field, fs)
			}
		})
	}
}

// TestCheckCancelled: a cancelled check returns with ctx's error; one
// that ends part way stops there, and the document's cache keeps nothing
// of it (a later check finds what a fresh one does).
func TestCheckCancelled(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("#include \"vmlinux.h\"\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&sb, "SEC(\"kprobe/do_exit\") int f%d(void *c) { bpf_unknown_thing(); return 0; }\n", i)
	}
	sb.WriteString("char LICENSE[] SEC(\"license\") = \"GPL\";\n")
	src := sb.String()
	k := hostKBFor(t)
	count := func(fs []analysis.Finding) int {
		n := 0
		for _, f := range fs {
			if f.Code == analysis.KG201 {
				n++
			}
		}
		return n
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	testenv.HangGuard(t, 2*time.Minute, func() {
		if _, err := CheckContext(ctx, src, Options{KB: k}); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: err %v", err)
		}
	})
	d := NewDoc([]byte(src))
	defer d.Close()
	var part []analysis.Finding
	var err error
	testenv.HangGuard(t, 2*time.Minute, func() { part, err = d.CheckContext(testenv.NewStopAfter(nil, 100), Options{KB: k}) })
	if !errors.Is(err, context.Canceled) || count(part) >= 2000 {
		t.Fatalf("cancelled part way: %d KG201, err %v", count(part), err)
	}
	if got, want := d.Check(Options{KB: k}), Check(src, Options{KB: k}); count(got) != 2000 || !reflect.DeepEqual(got, want) {
		t.Fatalf("after a cancelled check: %d KG201, fresh check %d", count(got), count(want))
	}
	// A huge one, cancelled while it runs.
	big := "#include \"vmlinux.h\"\nSEC(\"kprobe/do_exit\") int f(struct task_struct *t) { return t" + strings.Repeat("->parent", 2_000_000) + "->pid; }\n"
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	testenv.HangGuard(t, 2*time.Minute, func() {
		if _, err := CheckContext(ctx, big, Options{KB: k}); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled while running: err %v", err)
		}
	})
}
