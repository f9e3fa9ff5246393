package bpfc

import (
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestDocCacheMatchesFreshCheck edits documents at random, as a user
// would through the server, and requires the incremental check (which
// reuses what it found in functions and file-scope items the edit did not
// touch) to find exactly what an uncached check of the same tree finds.
// (The tree itself may differ from a fresh parse's in how tree-sitter
// recovered from errors; on text without syntax errors the findings must
// also equal a fresh Check's.)
//
// It runs twice: with files parsed whole, and cut into segments of a few
// hundred bytes, so edits also land in, across and between segments.
func TestDocCacheMatchesFreshCheck(t *testing.T) {
	t.Run("whole", func(t *testing.T) { testDocCache(t, false) })
	t.Run("segments", func(t *testing.T) {
		forceSegments(t, 400, 4)
		if n := testDocCache(t, true); n < 100 {
			t.Fatalf("only %d edits landed in a document cut into segments", n)
		}
	})
}

// testDocCache returns how many edits it made to segmented documents.
// With recut, a document that fell back to one tree (a syntax error) is
// parsed afresh, in segments, once its text is clean again.
func testDocCache(t *testing.T, recut bool) int {
	multi := 0
	k := hostKBFor(t)
	files, _ := filepath.Glob("testdata/*.bpf.c")
	files = append(files, "../verify/testdata/valid.bpf.c")
	if len(files) < 5 {
		t.Fatalf("only %d fixtures", len(files))
	}
	inserts := []string{"x", ";", "\n", "}", "{", "(", "bpf_get_current_pid(", "->ppid", "->pid", "#define LOCAL_THING 1\n",
		"struct task_struct *t = 0;", "char big[600];", "__u32 n;", "bpf_probe_read(0, 0, 0);", "\"", "/*", "*/",
		"struct mine { int a; };\n", "char LICENSE[] SEC(\"license\") = \"MIT\";\n", "SEC(\"tp/sched/sched_switch\")\n"}
	rng := rand.New(rand.NewSource(1))
	opts := Options{KB: k}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		d := NewDoc(data)
		d.Check(opts) // fill the cache
		edit := func(at, end int, ins string, i int) {
			t.Helper()
			d.Edit(at, end, ins)
			src = src[:at] + ins + src[end:]
			if err := segmentsValid(d); err != nil {
				t.Fatalf("%s: after edit %d (%d..%d -> %q): %v", path, i, at, end, ins, err)
			}
			got := d.Check(opts)
			want, _ := check(context.Background(), d.src, d.m, d.roots(), opts, nil)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: after edit %d (%d..%d -> %q) the cached check differs from an uncached one:\ngot  %+v\nwant %+v", path, i, at, end, ins, got, want)
			}
			if !d.hasError() {
				if fresh := Check(src, opts); !reflect.DeepEqual(got, fresh) {
					t.Fatalf("%s: after edit %d the incremental check differs from a fresh Check:\ngot  %+v\nwant %+v", path, i, got, fresh)
				}
			}
		}
		for i := 0; i < 150; i++ {
			at := rng.Intn(len(src) + 1)
			var end int
			var ins string
			if rng.Intn(3) == 0 && at < len(src) {
				end = min(len(src), at+1+rng.Intn(10))
			} else {
				end, ins = at, inserts[rng.Intn(len(inserts))]
			}
			if recut && len(d.segs) == 1 && !d.hasError() {
				d.reset(d.src)
			}
			if len(d.segs) > 1 {
				multi++
			}
			removed := src[at:end]
			edit(at, end, ins, i)
			if recut && d.hasError() {
				// Back to clean text, through the same incremental path.
				edit(at, at+len(ins), removed, i)
			}
		}
		d.Close()
	}
	return multi
}
