package microvm

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

func TestFrames(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("kernel noise KGV before the frame\n")
	big := bytes.Repeat([]byte("object "), 1000)
	if err := WriteFrame(&b, KindLoad, big); err != nil {
		t.Fatal(err)
	}
	if err := WriteFrame(&b, KindProbe, nil); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 1000 {
		t.Errorf("a 7000-byte repetitive payload took %d bytes: not compressed", b.Len())
	}
	k, p, err := ReadFrame(&b)
	if err != nil || k != KindLoad || !bytes.Equal(p, big) {
		t.Fatalf("first frame: kind %q, %d bytes, %v", k, len(p), err)
	}
	k, p, err = ReadFrame(&b)
	if err != nil || k != KindProbe || len(p) != 0 {
		t.Fatalf("second frame: kind %q, %d bytes, %v", k, len(p), err)
	}
	if _, _, err := ReadFrame(&b); err != io.EOF {
		t.Errorf("after the frames: %v, want EOF", err)
	}
	// A length past the limit is refused before anything is allocated.
	bad := append([]byte(frameMagic+"L"), 0xff, 0xff, 0xff, 0xff)
	if _, _, err := ReadFrame(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized frame: %v", err)
	}
	// A compressed frame that is not gzip is an error, not a crash.
	junk := append([]byte(frameMagic), KindAnswer|compressed, 0, 0, 0, 3, 1, 2, 3)
	if _, _, err := ReadFrame(bytes.NewReader(junk)); err == nil {
		t.Error("a broken compressed frame was accepted")
	}
	if err := WriteFrame(io.Discard, KindLoad, make([]byte, MaxFrame+1)); err == nil {
		t.Error("a payload past the limit was written")
	}
}

// TestInitramfs decodes the archive as the kernel does: gzip, then newc
// headers, and (when the cpio tool is installed) lists it with cpio too.
func TestInitramfs(t *testing.T) {
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	init := []byte("\x7fELF pretend init")
	path, err := initramfs(kb.CacheDir(), init)
	if err != nil {
		t.Fatal(err)
	}
	again, err := initramfs(kb.CacheDir(), init)
	if err != nil || again != path {
		t.Fatalf("the same init gave %s then %s (%v)", path, again, err)
	}
	st, _ := os.Stat(filepath.Dir(path))
	if st.Mode().Perm() != 0o700 {
		t.Errorf("the initramfs directory is %04o, want 0700", st.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(zr)
	files := map[string]string{}
	modes := map[string]uint64{}
	for off := 0; off+110 <= len(data); {
		h := string(data[off : off+110])
		if h[:6] != "070701" {
			t.Fatalf("bad magic at %d: %q", off, h[:6])
		}
		field := func(i int) int {
			n, err := strconv.ParseUint(h[6+8*i:14+8*i], 16, 32)
			if err != nil {
				t.Fatalf("bad header field %d at %d", i, off)
			}
			return int(n)
		}
		mode, size, nameSize := field(1), field(6), field(11)
		nameStart := off + 110
		name := string(data[nameStart : nameStart+nameSize-1])
		dataStart := (nameStart + nameSize + 3) &^ 3
		files[name] = string(data[dataStart : dataStart+size])
		modes[name] = uint64(mode)
		off = (dataStart + size + 3) &^ 3
		if name == "TRAILER!!!" {
			break
		}
	}
	if files["init"] != string(init) || modes["init"] != 0o100755 {
		t.Errorf("init: %q mode %o", files["init"], modes["init"])
	}
	for _, d := range []string{"dev", "proc", "sys", "TRAILER!!!"} {
		if _, ok := files[d]; !ok {
			t.Errorf("no %s in the archive: %v", d, files)
		}
	}
	if cpio, err := exec.LookPath("cpio"); err == nil {
		cmd := exec.Command(cpio, "-t", "--quiet")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "init\n") {
			t.Errorf("cpio -t: %v\n%s", err, out)
		}
	}
}

func TestBootableAndPVH(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "not-a-kernel")
	os.WriteFile(p, []byte("hello"), 0o644)
	if err := bootable(p); err == nil {
		t.Error("a 5-byte file is bootable")
	}
	if err := bootable(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file is bootable")
	}
	if hasPVH([]byte("junk")) {
		t.Error("junk has a PVH note")
	}
}

// testKernel is Debian 6.1's image as scripts/kernels.sh caches it.
func testKernel(t testing.TB) Target {
	t.Helper()
	testenv.Short(t, "boots a kernel in QEMU")
	if why := Missing(Options{}); why != "" {
		testenv.Skip(t, "%s", why)
	}
	o, err := kb.FindKernel("debian-6.1")
	if err != nil {
		testenv.Skip(t, "kernel images are not cached (scripts/kernels.sh): %v", err)
	}
	img, _ := filepath.Abs(o.Image)
	return Target{Image: img}
}

func gone(pid int) bool {
	for i := 0; i < 100; i++ {
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// TestDeathAndTimeout: a VM killed under the pool is booted again for
// the next request, which succeeds; a request that does not answer in
// time kills the VM's process group; Close leaves no QEMU.
func TestDeathAndTimeout(t *testing.T) {
	tk := testKernel(t)
	p := NewPool(Options{})
	defer p.Close()
	ctx := context.Background()
	// Not an ELF object: the guest answers with the loader's error.
	ans, rel, err := p.Load(ctx, tk, []byte("not an object"), false)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Kernel, Error string
	}
	if json.Unmarshal(ans, &rep) != nil || rep.Error == "" || rep.Kernel != rel || !strings.HasPrefix(rel, "6.1.") {
		t.Fatalf("answer %s from %s", ans, rel)
	}
	vms := p.Running()
	if len(vms) != 1 {
		t.Fatalf("%d VMs running, want 1", len(vms))
	}
	first := vms[0]
	// Without Options.Bpftool the guest holds no bpftool.
	if _, err := first.Loadall([]byte("x"), time.Minute); first.Bpftool || err == nil || !strings.Contains(err.Error(), "no bpftool") {
		t.Errorf("a VM without bpftool: %v", err)
	}
	// The channel carries any bytes, both ways, and how fast.
	for _, n := range []int{0, 1, 100 << 10} {
		payload := make([]byte, n)
		rand.Read(payload) // incompressible
		start := time.Now()
		back, err := first.Echo(payload, time.Minute)
		if err != nil || !bytes.Equal(back, payload) {
			t.Fatalf("echo of %d bytes: %d back, %v", n, len(back), err)
		}
		t.Logf("echo of %d bytes: %v", n, time.Since(start))
	}
	t.Logf("booted %s in %v on %s", first.Release(), first.BootTime, first.Accel())
	syscall.Kill(first.Pid(), syscall.SIGKILL)
	if !gone(first.Pid()) {
		t.Fatal("the killed QEMU is still there")
	}
	if _, _, err := p.Load(ctx, tk, []byte("again"), false); err != nil {
		t.Fatalf("after the VM died: %v", err)
	}
	vms = p.Running()
	if len(vms) != 1 || vms[0] == first {
		t.Fatalf("the dead VM was not replaced: %v", vms)
	}
	second := vms[0]
	// A request that cannot be answered in time.
	_, err = second.Load([]byte("x"), false, time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("a timed-out request: %v", err)
	}
	if !gone(second.Pid()) {
		t.Fatal("the VM that did not answer is still running")
	}
	p.Close()
	if _, _, err := p.Load(ctx, tk, []byte("x"), false); err == nil {
		t.Error("a closed pool answered")
	}
}

// TestDiesTwiceReported: a VM that cannot boot (too little memory for
// the kernel: it panics) is tried twice and the error says why.
func TestDiesTwiceReported(t *testing.T) {
	tk := testKernel(t)
	p := NewPool(Options{MemoryMB: 40, BootTimeout: 60 * time.Second})
	defer p.Close()
	_, _, err := p.Load(context.Background(), tk, []byte("x"), false)
	if err == nil {
		t.Fatal("a VM with 40 MiB answered")
	}
	msg := err.Error()
	if strings.Count(msg, "the microVM of") < 2 || !strings.Contains(msg, "booted again") || !strings.Contains(msg, "console") {
		t.Errorf("the error does not tell both attempts: %s", msg)
	}
	t.Log(msg)
	if len(p.Running()) != 0 {
		t.Error("a VM runs after two failed boots")
	}
}

// TestMain checks that no QEMU outlives the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if left := testenv.QEMUChildren(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "QEMU processes left running: %v\n", left)
		code = 1
	}
	os.Exit(code)
}

// TestToolEntries: bpftool goes into the initramfs with every library it
// needs (transitively) and its interpreter at its own path, each
// directory before what it holds.
func TestToolEntries(t *testing.T) {
	testenv.Require(t, testenv.Bpftool)
	exe, _ := exec.LookPath("bpftool")
	es, err := toolEntries(exe)
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]bool{}
	names := map[string]bool{}
	for _, e := range es {
		if d := filepath.Dir(e.name); d != "." && !dirs[d] {
			t.Errorf("%s comes before its directory %s", e.name, d)
		}
		if e.mode&cpioDir != 0 {
			dirs[e.name] = true
		}
		names[e.name] = true
	}
	lib := strings.TrimPrefix(GuestLibDir, "/") + "/"
	for _, want := range []string{strings.TrimPrefix(GuestBpftool, "/"), lib + "libc.so.6", lib + "libelf.so.1", lib + "libz.so.1"} {
		if !names[want] {
			t.Errorf("no %s in %v", want, names)
		}
	}
	interp := false
	for n := range names {
		if strings.Contains(n, "ld-linux") && !strings.HasPrefix(n, lib) {
			interp = true
		}
	}
	if !interp {
		t.Errorf("no interpreter at its own path: %v", names)
	}
	if _, err := toolEntries(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a missing bpftool gave entries")
	}
}

func TestTrimLoadallOutput(t *testing.T) {
	var b strings.Builder
	b.WriteString("libbpf: loading object\nlibbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n")
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&b, "%d: (b7) r0 = 0\n", i)
		if i == 2000 {
			b.WriteString("2000: (85) call unknown#195896080 ; CO-RE poisoned\n")
		}
	}
	b.WriteString("the sequence of 8193 jumps is too complex.\n-- END PROG LOAD LOG --\nlibbpf: prog 'p': failed to load: -14\nError: failed to load object file\n")
	out, cut := TrimLoadallOutput(b.String())
	if cut != 5002-loadallLogHead-loadallLogTail-1 { // the CO-RE line is kept
		t.Errorf("%d lines cut", cut)
	}
	for _, want := range []string{"libbpf: loading object", "0: (b7)", "CO-RE poisoned", "jumps is too complex", "4999: (b7)", "failed to load: -14", "Error: failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("%q was cut", want)
		}
	}
	if strings.Contains(out, "\n3000: (b7)") {
		t.Error("the middle of the log was kept")
	}
	short := "libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n0: (b7) r0 = 0\n-- END PROG LOAD LOG --\n"
	if got, n := TrimLoadallOutput(short); got != short || n != 0 {
		t.Errorf("a short output changed: %q", got)
	}
}

// TestLoadallInVM: a VM booted with bpftool loads an object with libbpf
// and answers bpftool's status and output, the verifier's log of a
// rejected program included; the pins are gone afterwards.
func TestLoadallInVM(t *testing.T) {
	tk := testKernel(t)
	testenv.Require(t, testenv.Clang, testenv.Bpftool)
	exe, _ := exec.LookPath("bpftool")
	dir := t.TempDir()
	compile := func(name, body string) []byte {
		src := filepath.Join(dir, name+".c")
		text := "#define SEC(n) __attribute__((section(n), used))\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n" + body
		os.WriteFile(src, []byte(text), 0o644)
		obj := filepath.Join(dir, name+".o")
		if out, err := exec.Command("clang", "-O2", "-g", "-target", "bpf", "-c", src, "-o", obj).CombinedOutput(); err != nil {
			t.Fatalf("clang: %v\n%s", err, out)
		}
		b, _ := os.ReadFile(obj)
		return b
	}
	good := compile("good", "SEC(\"tp/sched/sched_switch\")\nint a(void *ctx) { return 0; }\nSEC(\"xdp\")\nint b(void *ctx) { return 2; }\n")
	bad := compile("bad", "SEC(\"tp/sched/sched_switch\")\nint a(void *ctx) { return *(volatile int *)0; }\n")
	p := NewPool(Options{Bpftool: exe})
	defer p.Close()
	ctx := context.Background()
	a, rel, err := p.Loadall(ctx, tk, good)
	if err != nil {
		t.Fatal(err)
	}
	if a.Exit != 0 || len(a.Problems) > 0 || !strings.HasPrefix(rel, "6.1.") {
		t.Fatalf("a good object on %s: exit %d, problems %v\n%s", rel, a.Exit, a.Problems, a.Output)
	}
	a, _, err = p.Loadall(ctx, tk, bad)
	if err != nil {
		t.Fatal(err)
	}
	if a.Exit == 0 || !strings.Contains(a.Output, "BEGIN PROG LOAD LOG") || !strings.Contains(a.Output, "invalid mem access") || len(a.Problems) > 0 {
		t.Fatalf("a bad object: exit %d, problems %v\n%s", a.Exit, a.Problems, a.Output)
	}
	t.Logf("a rejected program: exit %d\n%s", a.Exit, a.Output)
	// Loading the good object again pins in the same directory again:
	// the first pins are gone.
	if a, _, err = p.Loadall(ctx, tk, good); err != nil || a.Exit != 0 {
		t.Fatalf("a good object again: %v, exit %d\n%s", err, a.Exit, a.Output)
	}
	vms := p.Running()
	if len(vms) != 1 {
		t.Fatalf("%d VMs, want the one booted", len(vms))
	}
	// A VM that died is booted again with its bpftool.
	syscall.Kill(vms[0].Pid(), syscall.SIGKILL)
	if !gone(vms[0].Pid()) {
		t.Fatal("the killed QEMU is still there")
	}
	if a, _, err = p.Loadall(ctx, tk, good); err != nil || a.Exit != 0 {
		t.Fatalf("a good object after the VM died: %v, exit %d\n%s", err, a.Exit, a.Output)
	}
}

// TestBuiltInitIsItsOwn: the init built from this tree is named by its
// content, so that a build from another tree (another worktree's tests,
// at the same time) cannot replace it between two boots of this process.
func TestBuiltInitIsItsOwn(t *testing.T) {
	testenv.Short(t, "builds the guest init with the go command")
	p, err := buildInit()
	if err != nil {
		testenv.Skip(t, "%v", err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if want := InitName + "-" + hex.EncodeToString(sum[:8]); filepath.Base(p) != want {
		t.Errorf("the built init is %s, want %s (named by its content)", filepath.Base(p), want)
	}
}
