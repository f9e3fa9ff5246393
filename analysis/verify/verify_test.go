package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
)

func newVerifier(t testing.TB) *Verifier {
	t.Helper()
	k := testenv.HostKB(t, testenv.BPF, testenv.Clang, testenv.Bpftool, testenv.Headers)
	return New(Options{KB: k, CacheDir: filepath.Join(os.TempDir(), "kgent-verify-test")})
}

// TestFixtures verifies each fixture for real (clang, the kernel's
// verifier, the installed bpftrace) and compares the findings with its
// want comments: rejected programs on the expected lines, valid ones
// (valid.bpf.c, opensnoop.bpf.c, local_include.bpf.c, valid.bt) with none.
func TestFixtures(t *testing.T) {
	v := newVerifier(t)
	testenv.Require(t, testenv.Bpftrace)
	testenv.Fixtures(t, "testdata/*.*", 19, func(t *testing.T, path, src string) []analysis.Finding {
		r := v.Verify(context.Background(), path, src, analysis.Detect(path, src))
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("log:\n%s", r.Log)
			}
		})
		if r.Cached || r.Cancelled {
			t.Errorf("first run: cached %v, cancelled %v", r.Cached, r.Cancelled)
		}
		for _, f := range r.Findings {
			// A failed CO-RE relocation is the loader's rejection, in
			// libbpf's words; every other one quotes the verifier.
			if f.Code == analysis.KG602 && !strings.Contains(f.Message, "(verifier: ") && !strings.Contains(f.Message, "(libbpf: failed to resolve CO-RE relocation") {
				t.Errorf("rejection without the verifier's words: %q", f.Message)
			}
			if f.Code == analysis.KG602 && len(f.Notes) == 0 {
				t.Errorf("rejection without the log in its notes: %q", f.Message)
			}
		}
		return r.Findings
	})
}

// TestVerifierLogKept checks that the full log is kept for -v and that a
// rejection's finding carries the log's tail.
func TestVerifierLogKept(t *testing.T) {
	v := newVerifier(t)
	data, err := os.ReadFile("testdata/null_check.bpf.c")
	if err != nil {
		t.Fatal(err)
	}
	r := v.Verify(context.Background(), "testdata/null_check.bpf.c", string(data), analysis.DialectC)
	if !strings.Contains(r.Log, "program count_switch (tp/sched/sched_switch):") || !strings.Contains(r.Log, "invalid mem access 'map_value_or_null'") ||
		!strings.Contains(r.Log, "call bpf_map_lookup_elem#1") {
		t.Errorf("log lacks the program's verifier log:\n%s", r.Log)
	}
	if len(r.Findings) != 1 || !strings.Contains(strings.Join(r.Findings[0].Notes, "\n"), "map_value_or_null") {
		t.Errorf("findings: %+v", r.Findings)
	}
}

func TestCache(t *testing.T) {
	v := newVerifier(t)
	data, _ := os.ReadFile("testdata/valid.bpf.c")
	r1 := v.Verify(context.Background(), "a.bpf.c", string(data), analysis.DialectC)
	r2 := v.Verify(context.Background(), "a.bpf.c", string(data), analysis.DialectC)
	if r1.Cached || !r2.Cached || len(r2.Findings) != len(r1.Findings) {
		t.Fatalf("cache: first %v, second %v", r1.Cached, r2.Cached)
	}
	if r2.Duration > 50*time.Millisecond {
		t.Errorf("cached result took %v", r2.Duration)
	}
	// Another directory may hold other headers: not the same key.
	if r3 := v.Verify(context.Background(), "elsewhere/a.bpf.c", string(data), analysis.DialectC); r3.Cached {
		t.Error("a file in another directory was served from the cache")
	}
	// Findings handed out are the caller's to change.
	bad, _ := os.ReadFile("testdata/null_check.bpf.c")
	r4 := v.Verify(context.Background(), "n.bpf.c", string(bad), analysis.DialectC)
	r4.Findings[0].Message = "changed"
	if r5 := v.Verify(context.Background(), "n.bpf.c", string(bad), analysis.DialectC); r5.Findings[0].Message == "changed" {
		t.Error("the cache shares its findings with callers")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r6 := v.Verify(ctx, "b.bpf.c", string(data)+"\n// changed\n", analysis.DialectC)
	if !r6.Cancelled || len(r6.Findings) != 1 || r6.Findings[0].Code != analysis.KG604 {
		t.Fatalf("cancelled run: %+v", r6)
	}
}

// slowTool writes a stand-in for clang that starts a child and sleeps, to
// test the job runner: time limits, cancellation and killing the process
// group. It records its own and its child's pid.
func slowTool(t *testing.T) (tool, pids string) {
	t.Helper()
	dir := t.TempDir()
	tool = filepath.Join(dir, "slowclang")
	pids = filepath.Join(dir, "pids")
	script := fmt.Sprintf("#!/bin/sh\nsleep 30 &\necho $$ $! >> %s\nwait\n", pids)
	if err := os.WriteFile(tool, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return tool, pids
}

func waitPids(t *testing.T, file string, lines int) [][]int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile(file)
		ls := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(data) > 0 && len(ls) >= lines {
			var out [][]int
			for _, l := range ls {
				var ps []int
				for _, f := range strings.Fields(l) {
					n, _ := strconv.Atoi(f)
					ps = append(ps, n)
				}
				out = append(out, ps)
			}
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the tool did not start")
	return nil
}

// gone waits for pid to disappear (killed and reaped, or a zombie no
// longer running).
func gone(pid int) bool {
	for i := 0; i < 200; i++ {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(st), ") Z ") {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Bpftool)
	tool, pids := slowTool(t)
	v := New(Options{ClangPath: tool, CacheDir: filepath.Join(os.TempDir(), "kgent-verify-test"), Timeout: 300 * time.Millisecond})
	start := time.Now()
	r := v.Verify(context.Background(), "x.bpf.c", "int x;\n", analysis.DialectC)
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("a 300 ms limit took %v", el)
	}
	if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG604 || !strings.Contains(r.Findings[0].Message, "timed out") {
		t.Fatalf("findings: %+v", r.Findings)
	}
	for _, p := range waitPids(t, pids, 1)[0] {
		if !gone(p) {
			t.Errorf("process %d outlived the time limit", p)
		}
	}
}

// TestNewerRequestCancels starts a slow run, then a newer one for the same
// path: the older returns Cancelled at once and its processes are killed.
func TestNewerRequestCancels(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Bpftool)
	tool, pids := slowTool(t)
	v := New(Options{ClangPath: tool, CacheDir: filepath.Join(os.TempDir(), "kgent-verify-test"), Timeout: 20 * time.Second})
	older := make(chan Result, 1)
	go func() { older <- v.Verify(context.Background(), "same.bpf.c", "int x;\n", analysis.DialectC) }()
	first := waitPids(t, pids, 1)[0]
	ctx, cancel := context.WithCancel(context.Background())
	newer := make(chan Result, 1)
	go func() { newer <- v.Verify(ctx, "same.bpf.c", "int y;\n", analysis.DialectC) }()
	select {
	case r := <-older:
		if !r.Cancelled {
			t.Errorf("older run not cancelled: %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the older run was not cancelled by the newer request")
	}
	for _, p := range first {
		if !gone(p) {
			t.Errorf("process %d of the cancelled run still runs", p)
		}
	}
	// The newer run goes on until its own ctx ends.
	waitPids(t, pids, 2)
	cancel()
	if r := <-newer; !r.Cancelled {
		t.Errorf("newer run after ctx cancel: %+v", r)
	}
}

func TestMissingTools(t *testing.T) {
	v := New(Options{ClangPath: "/nonexistent/clang", BpftracePath: "/nonexistent/bpftrace", CacheDir: t.TempDir()})
	r := v.Verify(context.Background(), "x.bpf.c", "int x;", analysis.DialectC)
	if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG604 || r.Findings[0].Severity != analysis.Information ||
		r.Findings[0].Message != "verification unavailable: clang is not installed (apt-get install clang llvm)" {
		t.Fatalf("%+v", r.Findings)
	}
	r = v.Verify(context.Background(), "x.bt", "BEGIN{}", analysis.DialectBpftrace)
	if len(r.Findings) != 1 || r.Findings[0].Severity != analysis.Information || !strings.Contains(r.Findings[0].Message, "bpftrace is not installed") {
		t.Fatalf("%+v", r.Findings)
	}
	r = v.Verify(context.Background(), "x.txt", "hello", analysis.DialectNone)
	if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG604 {
		t.Fatalf("%+v", r.Findings)
	}
}

func TestMissingBTFAndBpftool(t *testing.T) {
	testenv.Require(t, testenv.Clang, testenv.BTF)
	v := New(Options{BTFPath: "/nonexistent/vmlinux", CacheDir: t.TempDir()})
	r := v.Verify(context.Background(), "x.bpf.c", "int x;", analysis.DialectC)
	if len(r.Findings) != 1 || r.Findings[0].Severity != analysis.Information || !strings.Contains(r.Findings[0].Message, "no kernel BTF") ||
		!strings.Contains(r.Findings[0].Message, "CONFIG_DEBUG_INFO_BTF") {
		t.Fatalf("%+v", r.Findings)
	}
	// A fresh cache needs bpftool to make vmlinux.h.
	v = New(Options{BpftoolPath: "/nonexistent/bpftool", CacheDir: t.TempDir()})
	r = v.Verify(context.Background(), "x.bpf.c", "int x;", analysis.DialectC)
	if len(r.Findings) != 1 || r.Findings[0].Severity != analysis.Information || !strings.Contains(r.Findings[0].Message, "bpftool is not installed (apt-get install bpftool)") {
		t.Fatalf("%+v", r.Findings)
	}
}

// TestVmlinuxHeader checks the generated header: keyed by the BTF's
// sha256, complete, and left without temporary files.
func TestVmlinuxHeader(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Bpftool)
	cache := t.TempDir()
	v := New(Options{CacheDir: cache})
	dir, err := v.vmlinuxDir(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, sum, _ := v.targetBTF()
	if filepath.Base(dir) != sum || len(sum) != 64 {
		t.Errorf("dir %s, sum %s", dir, sum)
	}
	data, err := os.ReadFile(filepath.Join(dir, "vmlinux.h"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "#ifndef __VMLINUX_H__") || !strings.Contains(string(data), "struct task_struct {") ||
		!strings.HasSuffix(strings.TrimSpace(string(data)), "#endif /* __VMLINUX_H__ */") {
		t.Errorf("vmlinux.h is not whole (%d bytes)", len(data))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("cache dir holds %d entries, want only vmlinux.h", len(entries))
	}
}

// TestUnprivileged re-runs this test binary as nobody without
// capabilities (setpriv) and expects information findings, not an error
// or a crash: KG604 for loading (after compiling) and for bpftrace.
func TestUnprivileged(t *testing.T) {
	if os.Getenv("KGENT_UNPRIV_CHILD") == "1" {
		v := New(Options{CacheDir: os.Getenv("KGENT_UNPRIV_CACHE")})
		data, _ := os.ReadFile(os.Getenv("KGENT_UNPRIV_SRC"))
		r := v.Verify(context.Background(), "valid.bpf.c", string(data), analysis.DialectC)
		if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG604 || r.Findings[0].Severity != analysis.Information ||
			!strings.Contains(r.Findings[0].Message, "needs root (CAP_BPF with CAP_PERFMON") {
			t.Fatalf("want one KG604 about privilege, got %+v", r.Findings)
		}
		// Compilation still runs: a compile error is still reported.
		r = v.Verify(context.Background(), "bad.bpf.c", string(data)+"\nint broken = undeclared;\n", analysis.DialectC)
		if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG601 {
			t.Fatalf("want the compile error, got %+v", r.Findings)
		}
		r = v.Verify(context.Background(), "x.bt", "BEGIN { exit(); }\n", analysis.DialectBpftrace)
		if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG604 || !strings.Contains(r.Findings[0].Message, "root") {
			t.Fatalf("bpftrace: want one KG604 about root, got %+v", r.Findings)
		}
		fmt.Println("UNPRIVILEGED-OK")
		return
	}
	v := newVerifier(t)
	testenv.Require(t, testenv.Bpftrace)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Fatal("setpriv (util-linux) is missing")
	}
	// Warm the vmlinux.h cache as root.
	data, _ := os.ReadFile("testdata/valid.bpf.c")
	dir, err := os.MkdirTemp("", "kgent-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	warm := New(Options{KB: v.opts.KB, CacheDir: cache})
	if r := warm.Verify(context.Background(), "valid.bpf.c", string(data), analysis.DialectC); len(r.Findings) != 0 {
		t.Fatalf("as root: %+v", r.Findings)
	}
	// The cache is trusted only by its owner: hand the warm one to nobody.
	if err := filepath.Walk(cache, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 65534, 65534)
	}); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "valid.bpf.c")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	exe := filepath.Join(dir, "verify.test")
	copyFile(t, self, exe)
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
		exe, "-test.run", "^TestUnprivileged$", "-test.v")
	cmd.Env = append(os.Environ(), "KGENT_UNPRIV_CHILD=1", "KGENT_UNPRIV_SRC="+src, "KGENT_UNPRIV_CACHE="+cache, "HOME="+dir, "TMPDIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "UNPRIVILEGED-OK") {
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

// benchProgram is a typical libbpf tool of about 150 lines with five
// programs (tracepoints, tp_btf, XDP) and five maps.
const benchProgram = "testdata/opensnoop.bpf.c"

func BenchmarkVerifyCold(b *testing.B) {
	v := newVerifier(b)
	data, _ := os.ReadFile(benchProgram)
	src := string(data)
	v.Verify(context.Background(), benchProgram, src, analysis.DialectC) // vmlinux.h and the privilege probe
	i := 0
	for b.Loop() {
		i++
		// A unique comment defeats the cache: every run compiles and loads.
		r := v.Verify(context.Background(), benchProgram, fmt.Sprintf("%s\n// run %d\n", src, i), analysis.DialectC)
		if len(r.Findings) != 0 || r.Cached {
			b.Fatalf("%+v", r.Findings)
		}
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	v := newVerifier(b)
	data, _ := os.ReadFile(benchProgram)
	v.Verify(context.Background(), benchProgram, string(data), analysis.DialectC)
	for b.Loop() {
		if r := v.Verify(context.Background(), benchProgram, string(data), analysis.DialectC); !r.Cached {
			b.Fatal("not cached")
		}
	}
}

// TestPrecompiledHeader checks that the precompiled vmlinux.h changes
// nothing: the object is byte for byte the one a plain compile makes (BTF
// line info included), and it is only used when vmlinux.h comes first.
func TestPrecompiledHeader(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Bpftool, testenv.Clang, testenv.Headers)
	v := New(Options{CacheDir: filepath.Join(os.TempDir(), "kgent-verify-test")})
	ctx := context.Background()
	vmDir, err := v.vmlinuxDir(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clang, _ := lookTool("", "clang")
	pch := v.vmlinuxPCH(ctx, clang, vmDir, clangFlags())
	if pch == "" {
		t.Fatal("clang made no precompiled vmlinux.h")
	}
	dir := t.TempDir()
	for _, name := range []string{"opensnoop.bpf.c", "null_check.bpf.c"} {
		src, _ := filepath.Abs(filepath.Join("testdata", name))
		var objs [2][]byte
		for i, extra := range [][]string{nil, {"-include-pch", pch}} {
			obj := filepath.Join(dir, fmt.Sprintf("%s.%d.o", name, i))
			args := append(append(append(clangFlags(), extra...), "-I"+vmDir, "-I"+filepath.Dir(src)), "-c", src, "-o", obj)
			if _, stderr, err := v.run(ctx, dir, clang, args...); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, stderr)
			}
			objs[i], _ = os.ReadFile(obj)
		}
		if len(objs[0]) == 0 || string(objs[0]) != string(objs[1]) {
			t.Errorf("%s: the precompiled header changes the object (%d vs %d bytes)", name, len(objs[0]), len(objs[1]))
		}
	}
	for text, want := range map[string]bool{
		"#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n":         true,
		"// SPDX\n/* a\n * b */\n#  include <vmlinux.h>\n":               true,
		"#define BPF_NO_PRESERVE_ACCESS_INDEX\n#include \"vmlinux.h\"\n": false,
		"#include <linux/bpf.h>\n#include \"vmlinux.h\"\n":               false,
		"int x;\n#include \"vmlinux.h\"\n":                               false,
		"/* #define X */ #include \"vmlinux.h\"\n":                       true,
		"": false,
	} {
		if got := startsWithVmlinux(text); got != want {
			t.Errorf("startsWithVmlinux(%q) = %v", text, got)
		}
	}
}

// TestVerbose keeps the statistics of accepted programs and still maps a
// rejection to its line.
func TestVerbose(t *testing.T) {
	k := testenv.HostKB(t, testenv.BPF, testenv.Clang, testenv.Bpftool, testenv.Headers)
	v := New(Options{KB: k, CacheDir: filepath.Join(os.TempDir(), "kgent-verify-test"), Verbose: true})
	data, _ := os.ReadFile("testdata/valid.bpf.c")
	r := v.Verify(context.Background(), "testdata/valid.bpf.c", string(data), analysis.DialectC)
	if len(r.Findings) != 0 || !strings.Contains(r.Log, "program pass_ipv4 (xdp): accepted") || !strings.Contains(r.Log, "processed ") {
		t.Errorf("findings %+v, log:\n%s", r.Findings, r.Log)
	}
	bad, _ := os.ReadFile("testdata/null_check.bpf.c")
	r = v.Verify(context.Background(), "testdata/null_check.bpf.c", string(bad), analysis.DialectC)
	for _, p := range analysis.MatchWants(string(bad), r.Findings) {
		t.Error(p)
	}
}

// TestConcurrent runs jobs for several paths at once (go test -race
// checks the runner): none cancels another, all agree.
func TestConcurrent(t *testing.T) {
	v := newVerifier(t)
	data, _ := os.ReadFile("testdata/null_check.bpf.c")
	results := make(chan Result, 4)
	for i := 0; i < 4; i++ {
		go func() {
			results <- v.Verify(context.Background(), fmt.Sprintf("p%d/x.bpf.c", i), string(data), analysis.DialectC)
		}()
	}
	for i := 0; i < 4; i++ {
		r := <-results
		if r.Cancelled || len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG520 {
			t.Errorf("%+v", r)
		}
	}
}

// TestStructOpsNotRegistered verifies a congestion control's programs
// without creating its struct_ops map (which registers the operations
// with the kernel): the kernel's list stays without it.
func TestStructOpsNotRegistered(t *testing.T) {
	v := newVerifier(t)
	data, _ := os.ReadFile("testdata/struct_ops.bpf.c")
	text := strings.Replace(string(data), "*(volatile __u32 *)bogus_address();", "10;", 1)
	r := v.Verify(context.Background(), "testdata/struct_ops.bpf.c", text, analysis.DialectC)
	if len(r.Findings) != 0 {
		t.Fatalf("%+v\n%s", r.Findings, r.Log)
	}
	if ccs, err := os.ReadFile("/proc/sys/net/ipv4/tcp_available_congestion_control"); err == nil && strings.Contains(string(ccs), "kgent_fixture_cc") {
		t.Errorf("verification registered the congestion control: %s", ccs)
	}
	// The guard itself: the spec loaded per program has no struct_ops map.
	dir := t.TempDir()
	vmDir, err := v.vmlinuxDir(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "so.bpf.c")
	os.WriteFile(src, []byte(text), 0o600)
	clang, _ := lookTool("", "clang")
	obj := filepath.Join(dir, "so.o")
	if _, stderr, err := v.run(context.Background(), dir, clang, append(clangFlags(), "-I"+vmDir, "-c", src, "-o", obj)...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	spec, err := ebpf.LoadCollectionSpec(obj)
	if err != nil {
		t.Fatal(err)
	}
	hasOps := false
	for _, m := range spec.Maps {
		hasOps = hasOps || m.Type == ebpf.StructOpsMap
	}
	if !hasOps {
		t.Fatal("the fixture has no struct_ops map")
	}
	for _, m := range only(spec, "kg_undo_cwnd").Maps {
		if m.Type == ebpf.StructOpsMap {
			t.Errorf("struct_ops map %s would be created", m.Name)
		}
	}
}
