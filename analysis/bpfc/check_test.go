package bpfc

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

func hostKBFor(t testing.TB) *kb.KB {
	t.Helper()
	return testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
}

// TestFixtures compares each testdata/*.bpf.c with its want comments.
func TestFixtures(t *testing.T) {
	k := hostKBFor(t)
	testenv.Fixtures(t, "testdata/*.bpf.c", 5, func(t *testing.T, path, src string) []analysis.Finding {
		return Check(src, Options{KB: k, Path: path})
	})
}

func TestMaskKeepsOffsets(t *testing.T) {
	src := "SEC(\"xdp\") int f(void *c) { return 0; }\nstruct { __uint(type, BPF_MAP_TYPE_HASH); } m SEC(\".maps\");\n// SEC(\"kprobe/in_comment\")\n"
	m := mask(src)
	if len(m.text) != len(src) {
		t.Fatal("mask changed the length")
	}
	if len(m.sections) != 2 || m.sections[0].Name != "xdp" || m.sections[1].Name != ".maps" {
		t.Fatalf("sections %+v", m.sections)
	}
	if len(m.fields) != 1 || m.fields[0].Value != "BPF_MAP_TYPE_HASH" {
		t.Fatalf("fields %+v", m.fields)
	}
}

func TestSummary(t *testing.T) {
	src, _ := os.ReadFile("testdata/maps.bpf.c")
	d := NewDoc(src)
	defer d.Close()
	s := d.Summary()
	if len(s.Programs) != 1 || s.Programs[0].Name != "on_switch" || s.Programs[0].Def.ProgType != "tracepoint" {
		t.Fatalf("programs %+v", s.Programs)
	}
	if len(s.Maps) != 4 || s.Maps[2].Name != "events" || s.License != "GPL" {
		t.Fatalf("maps %+v license %q", s.Maps, s.License)
	}
}

// TestIncrementalEqualsFull edits a document line by line and checks that
// the incremental result equals a fresh parse every time.
func TestIncrementalEqualsFull(t *testing.T) {
	k := hostKBFor(t)
	data, _ := os.ReadFile("testdata/fields.bpf.c")
	src := string(data)
	d := NewDoc(data)
	defer d.Close()
	edits := []struct{ old, new string }{
		{"p->prio;", "p->prio + 1;"},
		{"real_parent, tgid", "real_parent, tgidd"},
		{"SEC(\"tp/syscalls/sys_enter_openat\")", "SEC(\"tp/syscalls/sys_enter_close\")"},
		{"int dot", "int dot2"},
	}
	for _, e := range edits {
		i := strings.Index(d.Text(), e.old)
		if i < 0 {
			t.Fatalf("%q not found", e.old)
		}
		d.Edit(i, i+len(e.old), e.new)
		src = src[:i] + e.new + src[i+len(e.old):]
		if d.Text() != src {
			t.Fatal("text diverged")
		}
		inc := d.Check(Options{KB: k})
		full := Check(src, Options{KB: k})
		if len(inc) != len(full) {
			t.Fatalf("after %q: incremental %d findings, full %d", e.new, len(inc), len(full))
		}
		for j := range inc {
			if inc[j].Code != full[j].Code || inc[j].Span != full[j].Span {
				t.Fatalf("after %q: %v vs %v", e.new, inc[j], full[j])
			}
		}
	}
}

func TestNoKB(t *testing.T) {
	fs := Check("SEC(\"tp/a/b\") int f(void *c) { return 0; }\n", Options{})
	if len(fs) != 1 || fs[0].Code != analysis.KG501 {
		t.Fatalf("%+v", fs)
	}
}

func FuzzCheck(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.bpf.c")
	for _, p := range files {
		data, _ := os.ReadFile(p)
		f.Add(string(data))
	}
	f.Add("SEC(\"")
	f.Add("struct { __uint(type, ); } m SEC(\".maps\");")
	f.Fuzz(func(t *testing.T, src string) {
		whole := Check(src, Options{})
		for _, fd := range whole {
			if fd.Span.Start < 0 || fd.Span.End > len(src) || fd.Span.Start > fd.Span.End {
				t.Fatalf("bad span %+v for %d bytes", fd.Span, len(src))
			}
		}
		// Cut into segments of a few dozen bytes, text without syntax
		// errors has the items and findings of a whole parse.
		forceSegments(t, 48, 4)
		d := NewDoc([]byte(src))
		defer d.Close()
		if err := segmentsValid(d); err != nil {
			t.Fatal(err)
		}
		if got := d.Check(Options{}); !d.hasError() && !reflect.DeepEqual(got, whole) {
			t.Fatalf("segmented findings %+v, whole %+v", got, whole)
		}
	})
}

// bigSource repeats a valid program file (maps, tracepoint, XDP and
// tp_btf programs with BPF_CORE_READ chains) to about 1,000 lines;
// vmlinux.h is included, not parsed: types come from BTF.
func bigSource(b *testing.B) string {
	data, err := os.ReadFile("../verify/testdata/valid.bpf.c")
	if err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	for i := 0; strings.Count(sb.String(), "\n") < 1000; i++ {
		sb.WriteString(string(data))
	}
	return sb.String()
}

func BenchmarkCheck1000(b *testing.B) {
	k := hostKBFor(b)
	k.Warm()
	src := bigSource(b)
	b.ResetTimer()
	for b.Loop() {
		Check(src, Options{KB: k})
	}
}

func BenchmarkIncremental(b *testing.B) {
	k := hostKBFor(b)
	k.Warm()
	src := bigSource(b)
	d := NewDoc([]byte(src))
	defer d.Close()
	at := strings.Index(src, "pid_t ppid = BPF_CORE_READ(p, real_parent, tgid);")
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			d.Edit(at, at, " ")
		} else {
			d.Edit(at, at+1, "")
		}
		d.Check(Options{KB: k})
	}
}

// TestKernelFixtures checks testdata/kernels/*.bpf.c against each Debian
// kernel: a want for some kernels (`// want[debian-5.10]: ...`) must be
// reported on those and only those.
func TestKernelFixtures(t *testing.T) {
	testenv.Kernels(t)
	files, err := filepath.Glob("testdata/kernels/*.bpf.c")
	if err != nil || len(files) == 0 {
		t.Fatalf("no kernel fixtures: %v", err)
	}
	for _, name := range testenv.DebianKernels {
		k := testenv.KernelKB(t, name)
		for _, f := range files {
			t.Run(name+"/"+filepath.Base(f), func(t *testing.T) {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				src := string(data)
				for _, p := range analysis.MatchWantsOn(src, Check(src, Options{KB: k, Path: f}), name) {
					t.Error(p)
				}
			})
		}
	}
}

// TestMissingFuncOnOtherKernels: a kernel function this kernel lacks and
// another target has is reported with this kernel's rename of it and
// whether its prototype is the other kernel's.
func TestMissingFuncOnOtherKernels(t *testing.T) {
	testenv.Kernels(t)
	sid, k510, k61 := testenv.KernelKB(t, "debian-sid"), testenv.KernelKB(t, "debian-5.10"), testenv.KernelKB(t, "debian-6.1")
	src := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_tracing.h>\n" +
		"SEC(\"kprobe/kmem_cache_alloc\")\nint BPF_KPROBE(a, struct kmem_cache *s) { return 0; }\n" +
		"SEC(\"kprobe/__page_cache_alloc\")\nint BPF_KPROBE(b) { return 0; }\n" +
		"SEC(\"tp/kmem/kmalloc_node\")\nint c(void *ctx) { return 0; }\n" +
		"char LICENSE[] SEC(\"license\") = \"GPL\";\n"
	want := map[string]string{
		"kmem_cache_alloc":   "this kernel has kmem_cache_alloc_noprof (same prototype as kmem_cache_alloc on debian-5.10, debian-6.1)",
		"__page_cache_alloc": "this kernel has filemap_alloc_folio_noprof (its prototype differs",
	}
	fs := Check(src, Options{KB: sid, Others: []kb.NamedKB{{Name: "debian-5.10", KB: k510}, {Name: "debian-6.1", KB: k61}}})
	found := 0
	for _, f := range fs {
		for name, msg := range want {
			if f.Code == analysis.KG302 && strings.Contains(f.Message, "function "+name+" ") {
				found++
				if !strings.Contains(f.Message, msg) {
					t.Errorf("%s: %q, want %q", name, f.Message, msg)
				}
				if len(f.Fixes) == 0 || !strings.HasPrefix(f.Fixes[0].Title, "Replace with ") {
					t.Errorf("%s: fixes %+v", name, f.Fixes)
				}
			}
		}
	}
	if found != 2 {
		t.Errorf("%d of 2 findings: %+v", found, fs)
	}
	// kmem:kmalloc_node went away in 6.1 (kmalloc took a node).
	noted := false
	for _, f := range fs {
		if f.Code == analysis.KG304 {
			noted = slices.Contains(f.Notes, "kmem/kmalloc_node is on debian-5.10")
		}
	}
	if !noted {
		t.Errorf("no KG304 saying which kernel has kmem/kmalloc_node: %+v", fs)
	}
}

// TestPathFixtures compares each testdata/paths/*.bpf.c (the path and
// call checks: NULL checks, reservations, bounds, loops, helper
// arguments) with its want comments.
func TestPathFixtures(t *testing.T) {
	k := hostKBFor(t)
	testenv.Fixtures(t, "testdata/paths/*.bpf.c", 2, func(t *testing.T, path, src string) []analysis.Finding {
		return Check(src, Options{KB: k, Path: path})
	})
}
