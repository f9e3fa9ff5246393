package bpftrace

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
)

// chainScripts are scripts built around one expression of n terms: a
// left-associative sum and a field chain through a task pointer.
var chainScripts = []struct {
	name string
	gen  func(n int) string
}{
	{"plus", func(n int) string {
		return "BEGIN { @x = 1" + strings.Repeat("+1", n-1) + "; }\n"
	}},
	{"arrow", func(n int) string {
		return "kprobe:do_exit { @x = curtask" + strings.Repeat("->a", n) + "; }\n"
	}},
}

// BenchmarkChain checks chains of 10k to 80k terms: the time grows with
// the length, not its square.
func BenchmarkChain(b *testing.B) {
	k := hostKBFor(b)
	k.Warm()
	for _, sc := range chainScripts {
		for _, n := range []int{10000, 20000, 40000, 80000} {
			src := sc.gen(n)
			b.Run(fmt.Sprintf("%s-%d", sc.name, n), func(b *testing.B) {
				for b.Loop() {
					Check(src, Options{KB: k, Version: "0.17"})
				}
			})
		}
	}
}

// deepScripts are valid scripts nested far past maxDepth; each holds
// `unknownthing`, an unknown builtin, before the deep part, which must
// still be reported.
var deepScripts = []struct {
	name string
	src  func() string
}{
	{"plus-2M", func() string {
		return "BEGIN { $a = unknownthing; @x = 1" + strings.Repeat("+1", 2_000_000-1) + "; }\n"
	}},
	{"arrow-2M", func() string {
		return "BEGIN { $a = unknownthing; @x = curtask" + strings.Repeat("->a", 2_000_000) + "; }\n"
	}},
	{"index-2M", func() string {
		return "BEGIN { $a = unknownthing; @x = @m" + strings.Repeat("[1]", 1_000_000) + "; }\n"
	}},
	{"unary-2M", func() string {
		return "BEGIN { $a = unknownthing; @x = " + strings.Repeat("-!", 1_000_000) + "1; }\n"
	}},
	{"parens-100k", func() string {
		return "BEGIN { $a = unknownthing; @x = " + strings.Repeat("(", 100_000) + "1" + strings.Repeat(")", 100_000) + "; }\n"
	}},
	{"blocks-100k", func() string {
		return "BEGIN { $a = unknownthing; " + strings.Repeat("if (1) { ", 100_000) + strings.Repeat("} ", 100_000) + "}\n"
	}},
	{"elseif-1M", func() string {
		return "BEGIN { $a = unknownthing; if (1) { }" + strings.Repeat(" else if (1) { }", 1_000_000) + " else { } }\n"
	}},
	// Chains inside brackets inside chains: each within the limit, the
	// whole deeper than it.
	{"mixed", func() string {
		var sb strings.Builder
		sb.WriteString("BEGIN { $a = unknownthing; @x = ")
		for i := 0; i < 600; i++ {
			sb.WriteString("(1" + strings.Repeat("+1", 600) + "+")
		}
		sb.WriteString("1" + strings.Repeat(")", 600) + "; }\n")
		return sb.String()
	}},
}

// TestDeepExpressions checks scripts nested far past the limit in the test
// process: a recursion without a bound overflows the goroutine stack,
// which ends the test binary. Each gets one KG101 and no syntax error,
// and what comes before the deep part is still checked.
func TestDeepExpressions(t *testing.T) {
	for _, tc := range deepScripts {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src()
			fs := Check(src, Options{Version: "0.17"})
			var deep, unknown int
			for _, f := range fs {
				switch {
				case f.Code == analysis.KG101:
					deep++
					if f.Span.Start < 0 || f.Span.End > len(src) || f.Span.End-f.Span.Start > 64 {
						t.Errorf("KG101 span %+v", f.Span)
					}
				case f.Code == analysis.KG201 && strings.Contains(f.Message, "unknownthing"):
					unknown++
				case f.Code == analysis.KG100:
					t.Errorf("syntax error in a valid script: %s", f.Message)
				}
			}
			if deep != 1 || unknown != 1 {
				t.Fatalf("%d KG101 and %d KG201 for unknownthing, want 1 and 1: %+v", deep, unknown, fs)
			}
			// The tree handed to other readers is bounded too.
			f, _ := Parse(src)
			if d := treeDepth(f); d > maxDepth+2 {
				t.Fatalf("tree depth %d", d)
			}
		})
	}
}

// treeDepth is the depth of a file's tree, measured without recursion.
func treeDepth(f *File) int {
	type item struct {
		n Node
		d int
	}
	var stack []item
	for _, p := range f.Probes {
		if p.Pred != nil {
			stack = append(stack, item{p.Pred, 1})
		}
		if p.Body != nil {
			stack = append(stack, item{p.Body, 1})
		}
	}
	deepest := 0
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		deepest = max(deepest, it.d)
		for _, k := range children(it.n, nil) {
			if k != nil {
				stack = append(stack, item{k, it.d + 1})
			}
		}
	}
	return deepest
}

// TestCheckCancelled: a cancelled check returns with ctx's error, and
// one that ends part way (in the parse or in the checks) stops there.
func TestCheckCancelled(t *testing.T) {
	big := "BEGIN { @x = 1" + strings.Repeat("+1", 2_000_000-1) + "; }\n"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	testenv.HangGuard(t, time.Minute, func() {
		if _, err := CheckContext(ctx, big, Options{Version: "0.17"}); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: err %v", err)
		}
	})
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(time.Millisecond, cancel)
	testenv.HangGuard(t, time.Minute, func() {
		if _, err := CheckContext(ctx, big+big, Options{Version: "0.17"}); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled while running: err %v", err)
		}
	})
	// Many probes each with an unknown builtin: ended part way through
	// the checks, fewer are reported than by a whole check.
	var sb strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&sb, "kprobe:f%d { @x[unknownthing] = count(); }\n", i)
	}
	src := sb.String()
	count := func(fs []analysis.Finding) int {
		n := 0
		for _, f := range fs {
			if f.Code == analysis.KG201 {
				n++
			}
		}
		return n
	}
	whole, err := CheckContext(context.Background(), src, Options{Version: "0.17"})
	if err != nil || count(whole) != 5000 {
		t.Fatalf("whole check: %d KG201, err %v", count(whole), err)
	}
	var part []analysis.Finding
	testenv.HangGuard(t, time.Minute, func() {
		// The parse asks every 1,024 tokens; past it, the checks ask.
		part, err = CheckContext(testenv.NewStopAfter(nil, int64(len(src)/1024)+4), src, Options{Version: "0.17"})
	})
	if !errors.Is(err, context.Canceled) || count(part) == 0 || count(part) >= 5000 {
		t.Fatalf("cancelled in the checks: %d KG201, err %v", count(part), err)
	}
}
