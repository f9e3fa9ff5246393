package bpfc

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// forceSegments cuts files of more than min bytes into up to n segments
// for the rest of the test.
func forceSegments(t testing.TB, min, n int) {
	oldMin, oldThreads := minSegment, threads
	minSegment, threads = min, func() int { return n }
	t.Cleanup(func() { minSegment, threads = oldMin, oldThreads })
}

// withSegments runs f with files of more than min bytes cut into up to n
// segments.
func withSegments(min, n int, f func()) {
	oldMin, oldThreads := minSegment, threads
	minSegment, threads = min, func() int { return n }
	defer func() { minSegment, threads = oldMin, oldThreads }()
	f()
}

// cFiles lists every C fixture, every C example and the verifier's valid
// program.
func cFiles(t testing.TB) []string {
	files, _ := filepath.Glob("testdata/*.bpf.c")
	ex, _ := filepath.Glob("../../kb/examples/c-*/prog.bpf.c")
	files = append(append(files, ex...), "../verify/testdata/valid.bpf.c")
	if len(files) < 40 {
		t.Fatalf("only %d C files", len(files))
	}
	return files
}

func TestCutPoints(t *testing.T) {
	src := strings.Join([]string{
		`#include "vmlinux.h"`,     // 0
		`struct {`,                 // cut: after a directive
		`	int a;`,                  //
		`} m SEC(".maps");`,        //
		`const char s[] = "}\n{";`, // cut
		`/* } ;`,                   // a comment that spans lines
		`x */ int f(void)`,         //
		`{`,                        //
		`	return '}';`,             //
		`}`,                        //
		`#if 0`,                    // cut (after '}')
		`int g;`,                   // inside #if
		`#endif`,                   //
		`#define M(x) \`,           // cut
		`	{ x }`,                   //
		`static int h;`,            // cut
		`  int indented;`,          // not at column 0
		`// a comment line`,        //
		`int k = (1`,               // not a cut: previous line is a comment after ';'? cut
		`+ 2);`,                    // inside parentheses
		`char LICENSE[] = "GPL";`,  // cut
	}, "\n")
	var lines []string
	for _, c := range cutPoints(src) {
		l := src[c:]
		if i := strings.IndexByte(l, '\n'); i >= 0 {
			l = l[:i]
		}
		lines = append(lines, l)
	}
	want := []string{
		`#include "vmlinux.h"`,
		`struct {`,
		`const char s[] = "}\n{";`,
		`#if 0`,
		`#define M(x) \`,
		`static int h;`,
		`int k = (1`,
		`char LICENSE[] = "GPL";`,
	}
	if !reflect.DeepEqual(lines, want) {
		t.Fatalf("cut before\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got := cuts(src, 3); len(got) != 2 || got[0] >= got[1] {
		t.Fatalf("cuts(3) = %v", got)
	}
}

// TestSegmentsMatchWholeParse parses every fixture and example whole and
// in segments: the top-level items (their trees, printed) and the
// findings must be the same.
func TestSegmentsMatchWholeParse(t *testing.T) {
	k := hostKBFor(t)
	segmented := 0
	for _, f := range cFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var whole, seg *Doc
		withSegments(1<<30, 1, func() { whole = NewDoc(data) })
		withSegments(300, 4, func() { seg = NewDoc(data) })
		if len(seg.segs) > 1 {
			segmented++
		} else if len(data) > 1200 && !whole.hasError() {
			t.Errorf("%s (%d bytes, no syntax error) was not cut", f, len(data))
		}
		if got, want := items(seg), items(whole); got != want {
			t.Errorf("%s: segmented parse differs:\n%s\nwhole:\n%s", f, got, want)
		}
		opts := Options{KB: k}
		if got, want := seg.Check(opts), whole.Check(opts); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: findings differ:\n%+v\nwhole:\n%+v", f, got, want)
		}
		seg.Close()
		whole.Close()
	}
	if segmented < 20 {
		t.Fatalf("only %d files were cut into segments", segmented)
	}
}

func items(d *Doc) string {
	var sb strings.Builder
	for _, n := range topLevel(d.roots()) {
		fmt.Fprintf(&sb, "%d-%d %s\n", n.StartByte(), n.EndByte(), n.ToSexp())
	}
	return sb.String()
}

// segmentsValid checks that d's segments cover its text in order and
// that every tree's nodes lie inside its segment; on text without syntax
// errors, that its top-level items are a whole parse's.
func segmentsValid(d *Doc) error {
	if len(d.segs) == 0 || d.segs[0].start != 0 || d.segs[len(d.segs)-1].end != len(d.src) {
		return fmt.Errorf("segments %v do not cover 0..%d", bounds(d), len(d.src))
	}
	for k, sg := range d.segs {
		if k > 0 && sg.start != d.segs[k-1].end {
			return fmt.Errorf("segments %v are not contiguous", bounds(d))
		}
		r := sg.tree.RootNode()
		if r.ChildCount() > 0 && (int(r.StartByte()) < sg.start || int(r.EndByte()) > sg.end) {
			return fmt.Errorf("segment %d..%d has nodes at %d..%d", sg.start, sg.end, r.StartByte(), r.EndByte())
		}
	}
	if len(d.segs) > 1 && !d.hasError() {
		var whole Doc
		whole.m = d.m
		whole.src = d.src
		whole.parseWhole()
		defer whole.Close()
		if got, want := items(d), items(&whole); got != want {
			return fmt.Errorf("segments %v: items differ from a whole parse:\n%s\nwhole:\n%s", bounds(d), got, want)
		}
	}
	return nil
}

func bounds(d *Doc) [][2]int {
	var out [][2]int
	for _, sg := range d.segs {
		out = append(out, [2]int{sg.start, sg.end})
	}
	return out
}

// TestEachRaisesPanicsInCaller: a check that fails on a worker thread must
// reach the caller's recover (the language server's), not end the process.
func TestEachRaisesPanicsInCaller(t *testing.T) {
	for _, bad := range []int{0, 2} {
		ran := make([]bool, 4)
		func() {
			defer func() {
				p := recover()
				if p == nil || !strings.Contains(fmt.Sprint(p), fmt.Sprintf("boom %d", bad)) {
					t.Fatalf("recovered %v", p)
				}
			}()
			each(4, func(k int) {
				ran[k] = true
				if k == bad {
					panic(fmt.Sprintf("boom %d", k))
				}
			})
		}()
		for k, r := range ran {
			if !r {
				t.Errorf("f(%d) did not run", k)
			}
		}
	}
}
