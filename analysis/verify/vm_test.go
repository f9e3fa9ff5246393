package verify

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/bpfc"
	"github.com/kgent/kgent/analysis/verify/microvm"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/kb/examples"
)

// The kernels every VM test verifies in: Debian's, fetched by
// scripts/kernels.sh into .cache/kernels.
var vmKernels = []string{"debian-5.10", "debian-6.1", "debian-6.12", "debian-sid"}

func init() {
	// KGENT_VM_KERNELS narrows the list (a comma-separated subset).
	if s := os.Getenv("KGENT_VM_KERNELS"); s != "" {
		vmKernels = strings.Split(s, ",")
	}
}

var updateVM = flag.Bool("update-vm", false, "rewrite testdata/microvm/expected.json from the VMs' answers")

// vmEnv is what the VM tests share in one test binary: one pool (each
// kernel boots once) and the kernels' profiles.
type vmEnv struct {
	pool     *microvm.Pool
	profiles map[string]*kb.KB
	boots    map[string]time.Duration
	mu       sync.Mutex
}

var (
	vmOnce   sync.Once
	vmShared *vmEnv
	vmWhy    string
)

// vmSetup returns the shared VM environment, or skips (fails under
// KGENT_REQUIRE_BPF=1) when QEMU, the kernel images or the tools are
// missing.
func vmSetup(t testing.TB) *vmEnv {
	t.Helper()
	testenv.Short(t, "boots kernels in QEMU")
	testenv.Require(t, testenv.Clang, testenv.Bpftool, testenv.Headers)
	testenv.Kernels(t)
	vmOnce.Do(func() {
		if why := microvm.Missing(microvm.Options{}); why != "" {
			vmWhy = why
			return
		}
		env := &vmEnv{profiles: map[string]*kb.KB{}, boots: map[string]time.Duration{}}
		for _, name := range vmKernels {
			k, err := vmProfile(name)
			if err != nil {
				vmWhy = err.Error()
				return
			}
			env.profiles[name] = k
		}
		env.pool = microvm.NewPool(microvm.Options{Progress: func(image, msg string) {
			fmt.Fprintf(os.Stderr, "microvm: %s\n", msg)
		}})
		vmShared = env
	})
	if vmWhy != "" {
		testenv.Skip(t, "%s", vmWhy)
	}
	return vmShared
}

// vmProfile is the named profile of a cached kernel image, built once
// and kept in the kb cache under "vmtest-<name>" (rebuilt when the image
// or the kb schema changed).
func vmProfile(name string) (*kb.KB, error) {
	opts, err := kb.FindKernel(name)
	if err != nil {
		return nil, fmt.Errorf("kernel %s is not cached (scripts/kernels.sh fetches it): %v", name, err)
	}
	img, _ := filepath.Abs(opts.Image)
	pname := "vmtest-" + name
	if k, err := kb.OpenProfile(pname); err == nil && k.Image() == img && k.BTFPath() != "" {
		return k, nil
	}
	opts.Name = pname
	k, err := kb.BuildImage(opts)
	if err != nil {
		return nil, fmt.Errorf("building the profile of %s: %v", name, err)
	}
	if _, err := kb.SaveProfile(k, pname); err != nil {
		return nil, err
	}
	return kb.OpenProfile(pname)
}

func (e *vmEnv) verifier(name string) *Verifier {
	return New(Options{KB: e.profiles[name], VMs: e.pool, Timeout: 120 * time.Second})
}

// vmOutcome is one finding as expected.json records it.
func vmOutcome(text string, f analysis.Finding) string {
	line := analysis.NewLineIndex(text).Position(f.Span.Start).Line + 1
	return fmt.Sprintf("%d %s %s: %s", line, f.Code, f.Severity, f.Message)
}

// TestMain closes the shared pool and checks that no QEMU outlives the
// tests.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if vmShared != nil {
		vmShared.pool.Close()
	}
	if left := testenv.QEMUChildren(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "QEMU processes left running: %v\n", left)
		code = 1
	}
	os.Exit(code)
}

var onRe = regexp.MustCompile(`//\s*on ([\w.,+-]+):\s*(.*)$`)

// wantsFor turns a fixture's "// on K1,K2: KG602 "frag"" comments into
// "// want:" comments for kernel name (the others' are dropped).
func wantsFor(text, name string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		m := onRe.FindStringSubmatchIndex(l)
		if m == nil {
			continue
		}
		kernels := strings.Split(l[m[2]:m[3]], ",")
		rest := l[m[4]:m[5]]
		if contains(kernels, name) {
			lines[i] = l[:m[0]] + "// want: " + rest
		} else {
			lines[i] = l[:m[0]]
		}
	}
	return strings.Join(lines, "\n")
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestKernelsInVMs verifies, in each kernel's own VM, every C example of
// kb/examples (the results compared with testdata/microvm/expected.json,
// and with the static checks' prediction for that kernel: both must say
// rejected or both accepted) and the fixtures of testdata/microvm, whose
// known differences between kernels must be reported on their lines, by
// the right kernel, and nowhere else.
func TestKernelsInVMs(t *testing.T) {
	env := vmSetup(t)
	exs, err := examples.Load()
	if err != nil {
		t.Fatal(err)
	}
	var cs []examples.Example
	for _, e := range exs {
		if e.Dialect == "c" {
			cs = append(cs, e)
		}
	}
	if len(cs) < 40 {
		t.Fatalf("only %d C examples", len(cs))
	}
	fixtures, _ := filepath.Glob("testdata/microvm/*.bpf.c")
	if len(fixtures) < 4 {
		t.Fatalf("only %d fixtures in testdata/microvm", len(fixtures))
	}
	expectedFile := filepath.Join("testdata", "microvm", "expected.json")
	want := map[string]map[string][]string{}
	if !*updateVM {
		b, err := os.ReadFile(expectedFile)
		if err != nil {
			t.Fatalf("%v (go test -run TestKernelsInVMs -update-vm writes it)", err)
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]map[string][]string{}
	var gotMu sync.Mutex
	for _, name := range vmKernels {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			defer func() { t.Logf("%s: %v", name, time.Since(start).Round(time.Second)) }()
			v := env.verifier(name)
			release := env.profiles[name].Meta.Kernel
			res := map[string][]string{}
			// Two compiles at a time; the VM takes one object at a time.
			type job struct{ slug, path, text string }
			var jobs []job
			for _, e := range cs {
				jobs = append(jobs, job{e.Slug, filepath.Join(e.Slug, e.FileName()), e.Source})
			}
			var mu sync.Mutex
			var wg sync.WaitGroup
			ch := make(chan job)
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range ch {
						r := v.Verify(context.Background(), j.path, j.text, analysis.DialectC)
						var out []string
						for _, f := range r.Findings {
							out = append(out, vmOutcome(j.text, f))
						}
						sort.Strings(out)
						mu.Lock()
						res[j.slug] = out
						mu.Unlock()
					}
				}()
			}
			for _, j := range jobs {
				ch <- j
			}
			close(ch)
			wg.Wait()
			gotMu.Lock()
			got[name] = res
			gotMu.Unlock()
			staticAgrees(t, name, env.profiles[name], cs, res)
			if !*updateVM {
				for _, e := range cs {
					if g, w := strings.Join(res[e.Slug], "\n"), strings.Join(want[name][e.Slug], "\n"); g != w {
						t.Errorf("%s on %s:\ngot:\n%s\nwant:\n%s", e.Slug, name, g, w)
					}
				}
			}
			for _, r := range res {
				for _, o := range r {
					if strings.Contains(o, "verification unavailable") && !strings.Contains(o, "refuses to load") {
						t.Errorf("%s: verification did not run in the VM: %s", name, o)
					}
				}
			}
			// The fixtures: known differences between kernels.
			for _, fx := range fixtures {
				b, err := os.ReadFile(fx)
				if err != nil {
					t.Fatal(err)
				}
				text := wantsFor(string(b), name)
				r := v.Verify(context.Background(), fx, text, analysis.DialectC)
				for _, p := range analysis.MatchWants(text, r.Findings) {
					t.Errorf("%s on %s: %s", filepath.Base(fx), name, p)
				}
				for _, f := range r.Findings {
					if f.Code == analysis.KG602 && !strings.Contains(f.Message, release) {
						t.Errorf("%s on %s: the finding does not name the kernel %s: %s", filepath.Base(fx), name, release, f.Message)
					}
					if f.Code == analysis.KG604 {
						t.Errorf("%s on %s: %s", filepath.Base(fx), name, f.Message)
					}
				}
			}
			env.probe(t, name)
			// Done with this kernel: an idle guest still costs CPU.
			k := env.profiles[name]
			env.pool.Stop(microvm.Target{Image: k.Image()})
		})
	}
	if *updateVM {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(expectedFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", expectedFile)
	}
}

// staticAgrees compares what the static checks predict for each example
// on kernel name (an error or not) with what that kernel's clang and
// verifier said (res, as vmOutcome records it): a disagreement fails and
// shows both answers.
func staticAgrees(t *testing.T, name string, k *kb.KB, cs []examples.Example, res map[string][]string) {
	t.Helper()
	agree := 0
	for _, e := range cs {
		var predicted []string
		for _, f := range bpfc.Check(e.Source, bpfc.Options{KB: k, Path: filepath.Join(e.Slug, e.FileName())}) {
			if f.Severity == analysis.Error {
				predicted = append(predicted, vmOutcome(e.Source, f))
			}
		}
		var rejected []string
		for _, o := range res[e.Slug] {
			if strings.Contains(o, " error: ") {
				rejected = append(rejected, o)
			}
		}
		if (len(predicted) > 0) != (len(rejected) > 0) {
			t.Errorf("%s on %s: static checks and the real tools disagree\nstatic:\n%s\nclang and the verifier:\n%s",
				e.Slug, name, strings.Join(predicted, "\n"), strings.Join(rejected, "\n"))
			continue
		}
		agree++
	}
	t.Logf("%s: static prediction agrees with the real clang and verifier on %d of %d C examples", name, agree, len(cs))
}

// vmBenchKernel is the kernel the benchmarks boot.
const vmBenchKernel = "debian-6.1"

// BenchmarkVMBoot boots a kernel to its init's hello: a fresh VM per
// iteration (target: at most 10 s under TCG on this machine).
func BenchmarkVMBoot(b *testing.B) {
	env := vmSetup(b)
	img := env.profiles[vmBenchKernel].Image()
	opts := env.pool.Options()
	opts.Progress = nil
	var total time.Duration
	n := 0
	for b.Loop() {
		vm, err := microvm.Boot(context.Background(), opts, microvm.Target{Image: img})
		if err != nil {
			b.Fatal(err)
		}
		total += vm.BootTime
		n++
		vm.Kill()
	}
	// To the init's hello, without the kill.
	b.ReportMetric(total.Seconds()/float64(n), "s/boot")
}

// BenchmarkVMVerify verifies a three-program object in a booted VM: the
// object sent, loaded program by program through the guest kernel's
// verifier and the report mapped to findings (target: at most 500 ms).
// BenchmarkVMVerify/compile+load adds clang, as an uncached Verify does.
func BenchmarkVMVerify(b *testing.B) {
	env := vmSetup(b)
	k := env.profiles[vmBenchKernel]
	v := env.verifier(vmBenchKernel)
	path := filepath.Join("testdata", "microvm", "three.bpf.c")
	src, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	tmp := b.TempDir()
	obj := filepath.Join(tmp, "three.o")
	if r, ok := v.CompileC(context.Background(), path, string(src), obj); !ok {
		b.Fatalf("compile: %v", r.Findings)
	}
	raw, _ := os.ReadFile(obj)
	t := microvm.Target{Image: k.Image(), Config: k.ConfigLines()}
	if _, err := env.pool.VM(context.Background(), t); err != nil {
		b.Fatal(err)
	}
	idx := analysis.NewLineIndex(string(src))
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			rep, err := v.vmLoad(context.Background(), t, raw)
			if err != nil {
				b.Fatal(err)
			}
			fs, _ := v.findings(context.Background(), obj, raw, rep, "three.bpf.c", string(src), idx)
			if len(rep.Programs) != 3 || len(fs) != 0 {
				b.Fatalf("%d programs, findings %v", len(rep.Programs), fs)
			}
		}
	})
	b.Run("compile+load", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			// A different text each time: no cached result.
			text := string(src) + fmt.Sprintf("\n// %d %d\n", i, time.Now().UnixNano())
			r := v.Verify(context.Background(), path, text, analysis.DialectC)
			if len(r.Findings) != 0 {
				b.Fatal(r.Findings)
			}
		}
	})
}

// probe asks name's VM for its kernel's features, checks facts known of
// each kernel, and records them in a profile built from the image.
func (e *vmEnv) probe(t *testing.T, name string) {
	k := e.profiles[name]
	tgt := microvm.Target{Image: k.Image(), Config: k.ConfigLines()}
	start := time.Now()
	ans, release, err := e.pool.Probe(context.Background(), tgt)
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	var p kb.KernelProbe
	if err := json.Unmarshal(ans, &p); err != nil {
		t.Fatal(err)
	}
	t.Logf("probe of %s: %d helpers, %d program types, %d map types in %v", release, len(p.Helpers), len(p.ProgTypes), len(p.MapTypes), time.Since(start).Round(time.Millisecond))
	if p.Release != k.Meta.Kernel {
		t.Errorf("probed %s, the profile is of %s", p.Release, k.Meta.Kernel)
	}
	old := name == "debian-5.10"
	wantRB := kb.Yes
	if old {
		wantRB = kb.No
	}
	if got := p.MapTypes["UserRingbuf"]; got != wantRB {
		t.Errorf("user ring buffer maps on %s: %v, want %v", name, got, wantRB)
	}
	if p.MapTypes["Hash"] != kb.Yes || p.MapTypes["RingBuf"] != kb.Yes {
		t.Errorf("hash and ring buffer maps not found on %s: %v", name, p.MapTypes)
	}
	loop := kb.Unknown
	for _, h := range p.Helpers {
		if h.Name == "bpf_loop" {
			loop = h.Allowed["kprobe"]
		}
	}
	if wantLoop := map[bool]kb.Tri{true: kb.Unknown, false: kb.Yes}[old]; loop != wantLoop {
		t.Errorf("bpf_loop from kprobe programs on %s: %v, want %v", name, loop, wantLoop)
	}
	if p.Attach[kb.AttachTracepoint].Supported != kb.Yes {
		t.Errorf("tracepoint programs do not load on %s: %+v", name, p.Attach[kb.AttachTracepoint])
	}
	// The profile records them, with their source.
	opts, err := kb.FindKernel(name)
	if err != nil {
		t.Fatal(err)
	}
	opts.Probe = &p
	pk, err := kb.BuildImage(opts)
	if err != nil {
		t.Fatal(err)
	}
	if src := pk.Meta.Sources["helper_availability"]; !strings.HasPrefix(src, kb.FromProbe+": in a microVM") {
		t.Errorf("helper availability source: %q", src)
	}
	if got := pk.HelperAllowed("bpf_get_current_pid_tgid", "tracepoint"); got != kb.Yes {
		t.Errorf("bpf_get_current_pid_tgid from tracepoints in the probed profile: %v", got)
	}
	if !old && pk.HelperAllowed("bpf_loop", "kprobe") != kb.Yes {
		t.Errorf("bpf_loop from kprobes in the probed profile of %s: %v", name, pk.HelperAllowed("bpf_loop", "kprobe"))
	}
}

// nobodyKernels are the kernels the unprivileged run boots: the oldest
// and the newest (all four again would double the suite's VM time).
func nobodyKernels() string {
	if len(vmKernels) <= 2 {
		return strings.Join(vmKernels, ",")
	}
	return vmKernels[0] + "," + vmKernels[len(vmKernels)-1]
}

// TestUnprivilegedVM runs TestKernelsInVMs again as nobody (setpriv, no
// groups, no capabilities), from a copy of this test binary, with a kb
// cache of nobody's own: verification in VMs needs no privilege, and
// its answers are the committed ones.
func TestUnprivilegedVM(t *testing.T) {
	vmSetup(t)
	testenv.Require(t, testenv.Root, testenv.Requirement("setpriv"))
	init, err := microvm.FindInit()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "kgent-vm-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	copyFile := func(from, to string) {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	self, _ := os.Executable()
	bin, initCopy := filepath.Join(dir, "verify.test"), filepath.Join(dir, microvm.InitName)
	copyFile(self, bin)
	copyFile(init, initCopy)
	cache, tmp := filepath.Join(dir, "cache"), filepath.Join(dir, "tmp")
	for _, d := range []string{cache, tmp} {
		os.Mkdir(d, 0o700)
		os.Chown(d, 65534, 65534)
	}
	kernels, _ := filepath.Abs(kb.KernelsDir())
	wd, _ := os.Getwd()
	args := []string{"--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", bin,
		"-test.run", "^TestKernelsInVMs$", "-test.v", "-test.timeout", "30m"}
	cmd := exec.Command("setpriv", args...)
	cmd.Dir = wd
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent", "KGENT_KB_DIR=" + cache,
		"KGENT_VMINIT=" + initCopy, "KGENT_KERNELS_DIR=" + kernels, "KGENT_VM_KERNELS=" + nobodyKernels(),
		"KGENT_REQUIRE_BPF=" + os.Getenv("KGENT_REQUIRE_BPF"), "TMPDIR=" + tmp}
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("as nobody in %v", time.Since(start).Round(time.Second))
	if err != nil || !strings.Contains(string(out), "--- PASS: TestKernelsInVMs") || strings.Contains(string(out), "--- SKIP") {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

// TestVMFailureIsKG604: a kernel whose VM cannot boot (too little
// memory), tried twice, is a KG604 information finding with the reason;
// compilation still ran.
func TestVMFailureIsKG604(t *testing.T) {
	env := vmSetup(t)
	name := vmKernels[len(vmKernels)-1]
	opts := env.pool.Options()
	opts.MemoryMB = 40
	// Some kernels hang rather than die with so little: either way the
	// boot fails, within this limit.
	opts.BootTimeout = 15 * time.Second
	opts.Progress = nil
	pool := microvm.NewPool(opts)
	defer pool.Close()
	v := New(Options{KB: env.profiles[name], VMs: pool})
	src, err := os.ReadFile(filepath.Join("testdata", "microvm", "three.bpf.c"))
	if err != nil {
		t.Fatal(err)
	}
	r := v.Verify(context.Background(), "three.bpf.c", string(src), analysis.DialectC)
	if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG604 || r.Findings[0].Severity != analysis.Information {
		t.Fatalf("findings: %v", r.Findings)
	}
	msg := r.Findings[0].Message
	if !strings.Contains(msg, "did not run") || !strings.Contains(msg, "booted again") || !strings.Contains(r.Unavailable, "microVM") {
		t.Errorf("the finding does not say what happened: %s", msg)
	}
}
