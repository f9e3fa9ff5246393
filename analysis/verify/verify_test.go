package verify

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
)

func newVerifier(t testing.TB) *Verifier {
	t.Helper()
	k := testenv.HostKB(t, testenv.BPF, testenv.Clang, testenv.Bpftool, testenv.Headers)
	return New(Options{KB: k, CacheDir: filepath.Join(os.TempDir(), "kgent-verify-test")})
}

// TestFixtures verifies each fixture for real and compares the findings
// with its want comments: rejected programs on the expected lines, valid
// ones with none.
func TestFixtures(t *testing.T) {
	v := newVerifier(t)
	testenv.Require(t, testenv.Bpftrace)
	testenv.Fixtures(t, "testdata/*", 10, func(t *testing.T, path, src string) []analysis.Finding {
		r := v.Verify(context.Background(), path, src, analysis.Detect(path, src))
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("log:\n%s", r.Log)
			}
		})
		return r.Findings
	})
}

func TestCacheAndCancel(t *testing.T) {
	v := newVerifier(t)
	data, _ := os.ReadFile("testdata/valid.bpf.c")
	r1 := v.Verify(context.Background(), "a.bpf.c", string(data), analysis.DialectC)
	r2 := v.Verify(context.Background(), "a.bpf.c", string(data), analysis.DialectC)
	if r1.Cached || !r2.Cached || len(r2.Findings) != len(r1.Findings) {
		t.Fatalf("cache: %v %v", r1.Cached, r2.Cached)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r3 := v.Verify(ctx, "b.bpf.c", string(data)+"\n// changed\n", analysis.DialectC)
	if len(r3.Findings) != 1 || r3.Findings[0].Code != analysis.KG604 {
		t.Fatalf("cancelled run: %+v", r3.Findings)
	}
}

func TestMissingTools(t *testing.T) {
	v := New(Options{ClangPath: "/nonexistent/clang", BpftracePath: "/nonexistent/bpftrace"})
	r := v.Verify(context.Background(), "x.bpf.c", "int x;", analysis.DialectC)
	if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG604 || r.Findings[0].Severity != analysis.Information || !strings.Contains(r.Findings[0].Message, "clang") {
		t.Fatalf("%+v", r.Findings)
	}
	r = v.Verify(context.Background(), "x.bt", "BEGIN{}", analysis.DialectBpftrace)
	if len(r.Findings) != 1 || !strings.Contains(r.Findings[0].Message, "bpftrace") {
		t.Fatalf("%+v", r.Findings)
	}
}

// TestUnprivileged re-runs this test binary without privilege (setpriv
// drops to nobody with no capabilities) and expects the information
// finding, not an error or a crash.
func TestUnprivileged(t *testing.T) {
	if os.Getenv("KGENT_UNPRIV_CHILD") == "1" {
		v := New(Options{CacheDir: os.Getenv("KGENT_UNPRIV_CACHE")})
		data, _ := os.ReadFile(os.Getenv("KGENT_UNPRIV_SRC"))
		r := v.Verify(context.Background(), "valid.bpf.c", string(data), analysis.DialectC)
		for _, f := range r.Findings {
			if f.Severity == analysis.Error {
				t.Fatalf("error finding when unprivileged: %+v", f)
			}
		}
		if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG604 || !strings.Contains(r.Findings[0].Message, "root") {
			t.Fatalf("want one KG604 about privilege, got %+v", r.Findings)
		}
		return
	}
	v := newVerifier(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Fatal("setpriv (util-linux) is missing")
	}
	// Warm the vmlinux.h cache as root, readable by nobody.
	data, _ := os.ReadFile("testdata/valid.bpf.c")
	v.Verify(context.Background(), "valid.bpf.c", string(data), analysis.DialectC)
	dir, err := os.MkdirTemp("", "kgent-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o777)
	src := filepath.Join(dir, "valid.bpf.c")
	os.WriteFile(src, data, 0o644)
	self, _ := os.Executable()
	exe := filepath.Join(dir, "verify.test")
	copyFile(t, self, exe)
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
		exe, "-test.run", "^TestUnprivileged$", "-test.v")
	cmd.Env = append(os.Environ(), "KGENT_UNPRIV_CHILD=1", "KGENT_UNPRIV_SRC="+src, "KGENT_UNPRIV_CACHE="+filepath.Join(dir, "cache"), "HOME="+dir, "TMPDIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("unprivileged run: %v\n%s", err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestMerge(t *testing.T) {
	static := []analysis.Finding{analysis.New(analysis.KG505, analysis.Span{Start: 10, End: 20}, "local variables use 600 bytes of stack")}
	ver := []analysis.Finding{
		analysis.New(analysis.KG601, analysis.Span{Start: 30, End: 40}, "Looks like the BPF stack limit of 512 bytes is exceeded"),
		analysis.New(analysis.KG602, analysis.Span{Start: 50, End: 60}, "other problem"),
	}
	got := Merge(static, ver)
	if len(got) != 2 || got[0].Code != analysis.KG505 || got[1].Code != analysis.KG602 {
		t.Fatalf("%+v", got)
	}
	// bpftrace's complaint where kgent already reports the same spot.
	s2 := []analysis.Finding{analysis.New(analysis.KG201, analysis.Span{Start: 5, End: 9}, "unknown function log2")}
	v2 := []analysis.Finding{analysis.New(analysis.KG603, analysis.Span{Start: 5, End: 9}, "Unknown function: log2"),
		analysis.New(analysis.KG603, analysis.Span{Start: 20, End: 22}, "other")}
	if got := Merge(s2, v2); len(got) != 2 || got[1].Message != "other" {
		t.Fatalf("%+v", got)
	}
}

func BenchmarkVerifyCold(b *testing.B) {
	v := newVerifier(b)
	data, _ := os.ReadFile("testdata/valid.bpf.c")
	src := string(data)
	for i := 0; b.Loop(); i++ {
		// A unique comment defeats the cache: every run compiles and loads.
		r := v.Verify(context.Background(), "bench.bpf.c", src+"\n// run "+strings.Repeat("x", i%50)+string(rune('a'+i%26))+"\n", analysis.DialectC)
		if analysis.HasErrors(r.Findings) {
			b.Fatalf("%+v", r.Findings)
		}
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	v := newVerifier(b)
	data, _ := os.ReadFile("testdata/valid.bpf.c")
	v.Verify(context.Background(), "bench.bpf.c", string(data), analysis.DialectC)
	b.ResetTimer()
	for b.Loop() {
		if r := v.Verify(context.Background(), "bench.bpf.c", string(data), analysis.DialectC); !r.Cached {
			b.Fatal("not cached")
		}
	}
}
