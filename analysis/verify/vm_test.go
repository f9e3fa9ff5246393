package verify

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/verify/microvm"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/kb/examples"
)

// The kernels every VM test verifies in: Debian's, fetched by
// scripts/kernels.sh into .cache/kernels.
var vmKernels = []string{"debian-5.10", "debian-6.1", "debian-6.12", "debian-sid"}

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
	testenv.Require(t, testenv.Clang, testenv.Bpftool, testenv.Headers)
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
	if left := qemuChildren(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "QEMU processes left running: %v\n", left)
		code = 1
	}
	os.Exit(code)
}

// qemuChildren lists the QEMU processes this process started that still
// run.
func qemuChildren() []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	me := os.Getpid()
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !strings.Contains(s[:i], "qemu-system") {
			continue
		}
		var state string
		var ppid int
		fmt.Sscanf(s[i+2:], "%s %d", &state, &ppid)
		if ppid == me && state != "Z" {
			var pid int
			fmt.Sscanf(e.Name(), "%d", &pid)
			out = append(out, pid)
		}
	}
	return out
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
// kb/examples (the results compared with testdata/microvm/expected.json)
// and the fixtures of testdata/microvm, whose known differences between
// kernels must be reported on their lines, by the right kernel, and
// nowhere else.
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
