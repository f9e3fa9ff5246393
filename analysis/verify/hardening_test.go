package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
)

// secretFile writes a root-only file (0600 in a 0700 directory) holding a
// random token written as C (so that a compiler that can read it has
// something to complain about, quoting it) and returns its path and the
// token.
func secretFile(t *testing.T) (path, token string) {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	token = "kgent_secret_" + hex.EncodeToString(b)
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	path = filepath.Join(dir, "secret.h")
	if err := os.WriteFile(path, []byte(token+" garbage here;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, token
}

// publicFile writes a file any user may read (0644 in a 0755 directory)
// holding a token as C, like secretFile.
func publicFile(t *testing.T) (path, token string) {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	token = "kgent_public_" + hex.EncodeToString(b)
	dir, err := os.MkdirTemp("", "kgent-public-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	path = filepath.Join(dir, "public.h")
	if err := os.WriteFile(path, []byte(token+" garbage here;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, token
}

// everything is all text a result shows: findings, notes, related
// messages and the log.
func everything(r Result) string {
	var b strings.Builder
	b.WriteString(r.Log)
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "\n%s %s\n%s", f.Code, f.Message, strings.Join(f.Notes, "\n"))
		for _, rel := range f.Related {
			b.WriteString("\n" + rel.Message)
		}
	}
	return b.String()
}

func shadowLine(t *testing.T) string {
	data, err := os.ReadFile("/etc/shadow")
	if err != nil || len(data) == 0 {
		return ""
	}
	return strings.SplitN(string(data), "\n", 2)[0]
}

// TestUntrustedCNoLeak compiles programs that include /etc/shadow, a
// root-only file and a world-readable one: nothing of their contents
// appears in what verification of an untrusted source reports. The
// root-only file cannot even be read (clang runs as nobody); the
// world-readable one is read but its diagnostics are not repeated.
func TestUntrustedCNoLeak(t *testing.T) {
	k := testenv.HostKB(t, testenv.BPF, testenv.Clang, testenv.Bpftool, testenv.Headers, testenv.BPF)
	secret, secretTok := secretFile(t)
	public, publicTok := publicFile(t)
	shadow := shadowLine(t)
	cache := filepath.Join(os.TempDir(), "kgent-verify-test")
	untrusted := New(Options{KB: k, CacheDir: cache, Untrusted: true})
	trusted := New(Options{KB: k, CacheDir: cache})
	ctx := context.Background()
	for _, inc := range []string{"/etc/shadow", secret, public} {
		text := fmt.Sprintf("#include \"%s\"\n#include \"vmlinux.h\"\nint x;\n", inc)
		r := untrusted.Verify(ctx, "leak.bpf.c", text, analysis.DialectC)
		all := everything(r)
		for _, tok := range []string{secretTok, publicTok, shadow} {
			if tok != "" && strings.Contains(all, tok) {
				t.Errorf("include %s: the result shows %q:\n%s", inc, tok, all)
			}
		}
		if len(r.Findings) == 0 || r.Findings[0].Code != analysis.KG601 || r.Findings[0].Span.Start > strings.IndexByte(text, '\n') {
			t.Errorf("include %s: want a KG601 on line 1, got %+v", inc, r.Findings)
		}
		if inc == public && !strings.Contains(r.Findings[0].Message, "an included file has errors") {
			t.Errorf("include %s: %+v", inc, r.Findings)
		}
		if strings.Contains(all, "In file included from") {
			t.Errorf("include %s: the include chain is shown:\n%s", inc, all)
		}
	}
	// The root-only file: clang as nobody cannot open it, while clang as
	// root (trusted, the control) reads it and complains about its text.
	text := fmt.Sprintf("#include \"%s\"\nint x;\n", secret)
	r := untrusted.Verify(ctx, "leak2.bpf.c", text, analysis.DialectC)
	if len(r.Findings) != 1 || !strings.Contains(r.Findings[0].Message, "ermission denied") {
		t.Errorf("untrusted: clang should not be able to open %s: %+v", secret, r.Findings)
	}
	r = trusted.Verify(ctx, "leak2.bpf.c", text, analysis.DialectC)
	if !strings.Contains(everything(r), secretTok) {
		t.Errorf("control: trusted verification shows the header's error: %+v", r.Findings)
	}
}

// TestUntrustedBpftraceIncludes: an untrusted script that includes
// anything but a system header by a plain name is not run, however the
// directive is spelled; a plain system include runs.
func TestUntrustedBpftraceIncludes(t *testing.T) {
	k := testenv.HostKB(t, testenv.BPF, testenv.Bpftrace, testenv.BPF)
	secret, secretTok := secretFile(t)
	shadow := shadowLine(t)
	v := New(Options{KB: k, CacheDir: t.TempDir(), Untrusted: true})
	ctx := context.Background()
	for _, inc := range []string{
		`#include "/etc/shadow"`,
		`#include "` + secret + `"`,
		`#include </dev/zero>`,
		`#include <../../../../etc/shadow>`,
		`#/* c */include "/etc/shadow"`,
		`# include_next "/etc/shadow"`,
		`%:include "/etc/shadow"`,
		`??=include "/etc/shadow"`,
		"#inc\\\nlude \"/etc/shadow\"",
		"#define F \"" + secret + "\"\n#include F",
		`#import "/etc/shadow"`,
	} {
		text := inc + "\nBEGIN { exit(); }\n"
		r := v.Verify(ctx, "s.bt", text, analysis.DialectBpftrace)
		all := everything(r)
		if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG604 || !strings.Contains(r.Findings[0].Message, "bpftrace was not run") {
			t.Errorf("%q: %+v", inc, r.Findings)
		}
		for _, tok := range []string{secretTok, shadow} {
			if tok != "" && strings.Contains(all, tok) {
				t.Errorf("%q: the result shows %q", inc, tok)
			}
		}
	}
	for _, ok := range []string{"#include <linux/types.h>", "#include \"linux/types.h\" // a comment", "// #include is fine in prose\n#define X 1"} {
		if at, why := includeProblem(ok + "\nBEGIN { exit(); }\n"); why != "" {
			t.Errorf("%q refused at %d: %s", ok, at, why)
		}
	}
	r := v.Verify(ctx, "ok.bt", "#include <linux/types.h>\nBEGIN { exit(); }\n", analysis.DialectBpftrace)
	if len(r.Findings) != 0 {
		t.Errorf("a system include: %+v\n%s", r.Findings, r.Log)
	}
}

// TestUntrustedBpftraceOutputFiltered: what bpftrace says about another
// file (here a world-readable header an untrusted script may include by
// a relative name: the output of trusted bpftrace on it is fed to the
// filter) is not repeated.
func TestUntrustedBpftraceOutputFiltered(t *testing.T) {
	out := "ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK\n" +
		"/usr/include/x.h:1:1: error: unknown type name 'kgent_public_tok'\n" +
		"kgent_public_tok garbage\n^\n" +
		"definitions.h:2:10: fatal error: cannot open file '/secret': Permission denied\n" +
		"./s.bt:2:1-6: ERROR: unknown function: 'foo'\nfoo();\n~~~~~\n" +
		"ERROR: Include headers with missing type definitions or install BTF information to your system.\n"
	text := "#include <x.h>\nfoo();\n"
	fs := bpftraceFindings(out, "s.bt", text, true, true)
	log := ownOutput(out, "s.bt", true)
	all := log
	for _, f := range fs {
		all += "\n" + f.Message
	}
	if strings.Contains(all, "kgent_public_tok") || strings.Contains(all, "/secret") || strings.Contains(all, "x.h") {
		t.Errorf("another file's diagnostics shown:\n%s", all)
	}
	if !strings.Contains(log, "unknown function: 'foo'") || !strings.Contains(log, "foo();") {
		t.Errorf("the script's own diagnostic is lost:\n%s", log)
	}
	var codes []string
	for _, f := range fs {
		codes = append(codes, f.Message)
	}
	if len(fs) != 3 || !strings.Contains(fs[0].Message, "an included file") || fs[1].Span.Start != len("#include <x.h>\n") {
		t.Errorf("findings: %q", codes)
	}
	// Trusted: everything is shown.
	if ownOutput(out, "s.bt", false) != out {
		t.Error("trusted output filtered")
	}
}

// TestUntrustedFixtures: an untrusted source verifies like a trusted one
// (same findings), its own world-readable headers included; only errors
// inside headers are reduced to one line.
func TestUntrustedFixtures(t *testing.T) {
	k := testenv.HostKB(t, testenv.BPF, testenv.Clang, testenv.Bpftool, testenv.Headers, testenv.BPF)
	cache := filepath.Join(os.TempDir(), "kgent-verify-test")
	trusted := New(Options{KB: k, CacheDir: cache})
	untrusted := New(Options{KB: k, CacheDir: cache, Untrusted: true})
	files, _ := filepath.Glob("testdata/*.bpf.c")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		a := trusted.Verify(context.Background(), f, string(data), analysis.DialectC)
		b := untrusted.Verify(context.Background(), f, string(data), analysis.DialectC)
		summary := func(r Result) []string {
			var s []string
			for _, x := range r.Findings {
				s = append(s, fmt.Sprintf("%s@%d", x.Code, x.Span.Start))
			}
			return s
		}
		if !slices.Equal(summary(a), summary(b)) {
			t.Errorf("%s: trusted %v, untrusted %v\n%+v", f, summary(a), summary(b), b.Findings)
		}
		if strings.Contains(f, "header_error") && (len(b.Findings) == 0 || !strings.Contains(b.Findings[0].Message, "an included file has errors")) {
			t.Errorf("%s: %+v", f, b.Findings)
		}
	}
}

// bombC is a 40-level macro bomb: 2^40 tokens.
func bombC() string {
	var b strings.Builder
	b.WriteString("#define A0 x x\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&b, "#define A%d A%d A%d\n", i, i-1, i-1)
	}
	b.WriteString("int v[] = { A39 };\n")
	return b.String()
}

// TestMemoryLimit: a macro bomb (C) and an include of /dev/zero
// (bpftrace) stop at the memory limit with a finding saying so, and the
// crashing clang leaves nothing in TMPDIR.
func TestMemoryLimit(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Bpftool, testenv.Clang, testenv.Headers)
	tmpdir := t.TempDir()
	t.Setenv("TMPDIR", tmpdir)
	for _, untrusted := range []bool{false, true} {
		v := New(Options{CacheDir: filepath.Join(tmpdir, "..", "kgent-verify-test-cache"), MemoryLimit: 256 << 20, Untrusted: untrusted})
		r := v.Verify(context.Background(), "bomb.bpf.c", bombC(), analysis.DialectC)
		if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG601 || r.Findings[0].Severity != analysis.Error ||
			!strings.Contains(r.Findings[0].Message, "clang ran out of memory (limit 256 MiB)") {
			t.Errorf("untrusted %v: %+v", untrusted, r.Findings)
		}
	}
	if entries, _ := os.ReadDir(tmpdir); len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("left in TMPDIR: %v", names)
	}
	if !slices.Contains(clangFlags(), "-fno-crash-diagnostics") {
		t.Error("clang may write crash reproducers")
	}
	testenv.Require(t, testenv.Bpftrace, testenv.BPF)
	v := New(Options{CacheDir: t.TempDir(), MemoryLimit: 512 << 20})
	r := v.Verify(context.Background(), "zero.bt", "#include \"/dev/zero\"\nBEGIN { exit(); }\n", analysis.DialectBpftrace)
	if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG603 || !strings.Contains(r.Findings[0].Message, "bpftrace ran out of memory (limit 512 MiB)") {
		t.Errorf("bpftrace: %+v\n%s", r.Findings, r.Log)
	}
}

// TestPrivateTmpdir: a tool sees TMPDIR as a directory of its own, which
// is gone after the run, whatever the tool left in it.
func TestPrivateTmpdir(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Bpftool)
	dir := t.TempDir()
	rec := filepath.Join(dir, "tmpdir")
	tool := filepath.Join(dir, "clang")
	script := fmt.Sprintf("#!/bin/sh\necho \"$TMPDIR\" > %s\necho crash > \"$TMPDIR/prog-123.c\"\nexit 1\n", rec)
	if err := os.WriteFile(tool, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", filepath.Join(dir, "tmp"))
	os.Mkdir(filepath.Join(dir, "tmp"), 0o700)
	v := New(Options{ClangPath: tool, CacheDir: filepath.Join(dir, "cache")})
	v.Verify(context.Background(), "x.bpf.c", "int x;\n", analysis.DialectC)
	data, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.TrimSpace(string(data))
	if got == "" || got == filepath.Join(dir, "tmp") {
		t.Errorf("the tool's TMPDIR is %q, not a private one", got)
	}
	if _, err := os.Stat(got); !os.IsNotExist(err) {
		t.Errorf("the tool's TMPDIR %s is still there (%v)", got, err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(entries) != 0 {
		t.Errorf("left in TMPDIR: %d entries", len(entries))
	}
}

// countingTool is a stand-in for clang that records how many copies of
// it run at once (each marks itself in a directory while it runs) and,
// while a hold file exists, waits. The log lists the program names it
// compiled, in order.
func countingTool(t *testing.T) (tool, dir string) {
	t.Helper()
	dir = t.TempDir()
	os.Mkdir(filepath.Join(dir, "running"), 0o755)
	tool = filepath.Join(dir, "clang")
	script := `#!/bin/sh
d=` + dir + `
for a; do case "$a" in ./*) name="$a";; esac; done
echo "$name" >> $d/order
touch $d/running/$$
ls $d/running | wc -l >> $d/counts
while [ -e $d/hold ]; do sleep 0.02; done
sleep 0.05
rm $d/running/$$
exit 1
`
	if err := os.WriteFile(tool, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return tool, dir
}

// TestGateBound asks for 20 verifications at once: never more than the
// gate's bound run at a time (counted by the processes themselves).
func TestGateBound(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Bpftool)
	tool, dir := countingTool(t)
	g := NewGate(2)
	v := New(Options{ClangPath: tool, CacheDir: filepath.Join(os.TempDir(), "kgent-verify-test"), Gate: g})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.Verify(context.Background(), fmt.Sprintf("p%d.bpf.c", i), "int x;\n", analysis.DialectC)
		}()
	}
	wg.Wait()
	data, _ := os.ReadFile(filepath.Join(dir, "counts"))
	counts := strings.Fields(string(data))
	if len(counts) != 20 {
		t.Fatalf("%d runs", len(counts))
	}
	most := 0
	for _, c := range counts {
		n, _ := strconv.Atoi(c)
		most = max(most, n)
	}
	if most > 2 || g.Peak() > 2 {
		t.Errorf("%d tools ran at once (gate peak %d), the bound is 2", most, g.Peak())
	}
}

// TestGateNewestFirst: with one turn busy, the newest waiting request runs
// next, and a waiting request superseded by a newer one for the same file
// is dropped without running.
func TestGateNewestFirst(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Bpftool)
	tool, dir := countingTool(t)
	hold := filepath.Join(dir, "hold")
	os.WriteFile(hold, nil, 0o644)
	g := NewGate(1)
	v := New(Options{ClangPath: tool, CacheDir: filepath.Join(os.TempDir(), "kgent-verify-test"), Gate: g})
	waiting := func(n int) {
		t.Helper()
		for i := 0; i < 1000; i++ {
			g.mu.Lock()
			w := len(g.waiting)
			g.mu.Unlock()
			if w == n {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("never %d waiting", n)
	}
	results := map[string]chan Result{}
	start := func(key, path string) {
		ch := make(chan Result, 1)
		results[key] = ch
		go func() { ch <- v.Verify(context.Background(), path, "int "+key+";\n", analysis.DialectC) }()
	}
	start("a", "a.bpf.c")
	waitPids(t, filepath.Join(dir, "order"), 1)
	start("b", "b.bpf.c")
	waiting(1)
	start("c", "c.bpf.c")
	waiting(2)
	start("b2", "b.bpf.c") // supersedes b, still waiting
	if r := <-results["b"]; !r.Cancelled {
		t.Errorf("superseded b: %+v", r)
	}
	waiting(2)
	os.Remove(hold)
	for _, k := range []string{"a", "b2", "c"} {
		if r := <-results[k]; r.Cancelled {
			t.Errorf("%s cancelled", k)
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "order"))
	if got := strings.Fields(string(data)); !slices.Equal(got, []string{"./a.bpf.c", "./b.bpf.c", "./c.bpf.c"}) {
		// b.bpf.c here is b2's run: b never started.
		t.Errorf("order %v, want a, then the newest (b2), then c", got)
	}
}

// TestNoOrphanAfterKill re-runs this test binary as a parent that starts
// a long-running tool through run, kills the parent with SIGKILL, and
// checks that the tool died with it.
func TestNoOrphanAfterKill(t *testing.T) {
	if f := os.Getenv("KGENT_ORPHAN_PIDFILE"); f != "" {
		dir := filepath.Dir(f)
		tool := filepath.Join(dir, "tool")
		v := New(Options{CacheDir: dir, Timeout: time.Minute})
		v.run(context.Background(), dir, tool)
		return
	}
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "pid")
	if err := os.WriteFile(filepath.Join(dir, "tool"), []byte("#!/bin/sh\necho $$ > "+pidfile+".tmp\nmv "+pidfile+".tmp "+pidfile+"\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	parent := exec.Command(self, "-test.run", "^TestNoOrphanAfterKill$")
	parent.Env = append(os.Environ(), "KGENT_ORPHAN_PIDFILE="+pidfile)
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	pid := 0
	for i := 0; i < 1000 && pid == 0; i++ {
		data, _ := os.ReadFile(pidfile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		time.Sleep(10 * time.Millisecond)
	}
	if pid == 0 {
		parent.Process.Kill()
		t.Fatal("the tool did not start")
	}
	parent.Process.Signal(syscall.SIGKILL)
	parent.Wait()
	if !gone(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the tool (pid %d) outlived its killed parent", pid)
	}
}

// TestOptionLikeName compiles a file named like a clang option as a file.
func TestOptionLikeName(t *testing.T) {
	v := newVerifier(t)
	data, _ := os.ReadFile("testdata/valid.bpf.c")
	if r := v.Verify(context.Background(), "-ofoo.bpf.c", string(data), analysis.DialectC); len(r.Findings) != 0 {
		t.Errorf("valid program: %+v\n%s", r.Findings, r.Log)
	}
	text := "int x = undeclared_y;\n"
	r := v.Verify(context.Background(), "-ofoo.bpf.c", text, analysis.DialectC)
	if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG601 || text[r.Findings[0].Span.Start:r.Findings[0].Span.End] != "undeclared_y" {
		t.Errorf("compile error: %+v\n%s", r.Findings, r.Log)
	}
}

// TestCacheKeyHasName: two files with the same text in one directory are
// two cache entries.
func TestCacheKeyHasName(t *testing.T) {
	v := New(Options{CacheDir: t.TempDir()})
	for _, d := range []analysis.Dialect{analysis.DialectC, analysis.DialectBpftrace} {
		if v.key("dir/a.bpf.c", "int x;", d) == v.key("dir/b.bpf.c", "int x;", d) {
			t.Errorf("%s: one key for two names", d)
		}
		if v.key("dir/a.bpf.c", "int x;", d) != v.key("dir/a.bpf.c", "int x;", d) {
			t.Errorf("%s: the key is not stable", d)
		}
	}
	if v.key("a.bpf.c", "int x;", analysis.DialectC) == New(Options{CacheDir: t.TempDir(), Untrusted: true}).key("a.bpf.c", "int x;", analysis.DialectC) {
		t.Error("trusted and untrusted share a key")
	}
	w := newVerifier(t)
	data, _ := os.ReadFile("testdata/null_check.bpf.c")
	a := w.Verify(context.Background(), "dir/a.bpf.c", string(data), analysis.DialectC)
	b := w.Verify(context.Background(), "dir/b.bpf.c", string(data), analysis.DialectC)
	if a.Cached || b.Cached {
		t.Errorf("cached: a %v, b %v", a.Cached, b.Cached)
	}
	if c := w.Verify(context.Background(), "dir/a.bpf.c", string(data), analysis.DialectC); !c.Cached {
		t.Error("the same file again is not cached")
	}
}

// BenchmarkVerifyColdUntrusted is BenchmarkVerifyCold for an untrusted
// source: clang as nobody, vmlinux.h linked into the private directory
// (no precompiled header when the cache is private).
func BenchmarkVerifyColdUntrusted(b *testing.B) {
	k := testenv.HostKB(b, testenv.BPF, testenv.Clang, testenv.Bpftool, testenv.Headers)
	v := New(Options{KB: k, CacheDir: filepath.Join(os.TempDir(), "kgent-verify-test"), Untrusted: true})
	data, _ := os.ReadFile(benchProgram)
	src := string(data)
	v.Verify(context.Background(), benchProgram, src, analysis.DialectC)
	i := 0
	for b.Loop() {
		i++
		r := v.Verify(context.Background(), benchProgram, fmt.Sprintf("%s\n// run %d\n", src, i), analysis.DialectC)
		if len(r.Findings) != 0 || r.Cached {
			b.Fatalf("%+v", r.Findings)
		}
	}
}
