package verify

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/verify/microvm"
)

// knownVMDisagreements are the cases where kgent's verification in a
// kernel's microVM and libbpf 1.1 (this machine's bpftool 7.1, run in
// the same VM) are known to differ, by kernel ("debian-6.1
// variant/sec-autoload-off-bad"), with why. The test fails when one of
// them starts to agree, or names a case that no longer exists.
var knownVMDisagreements = func() map[string]string {
	m := map[string]string{}
	every := func(c, why string, kernels ...string) {
		for _, k := range kernels {
			m[k+" "+c] = why
		}
	}
	all := []string{"debian-5.10", "debian-6.1", "debian-6.12", "debian-sid"}
	// 5.10 has no kfunc calls: libbpf 1.1 leaves the call of a __weak
	// kfunc it did not find (imm 0, src_reg 2), which 5.10 refuses as "BPF_CALL
	// uses reserved fields"; kgent names the __weak kfunc.
	for _, c := range []string{"variant/extern-kfunc-weak-missing-called", "variant/extern-kfunc-weak-present"} {
		every(c, "5.10 refuses libbpf's unresolved __weak kfunc call as a BPF_CALL with reserved fields; kgent names the kfunc", "debian-5.10")
	}
	// As on the host (knownDisagreements), on every kernel.
	for _, c := range []string{"variant/sec-autoload-off-bad", "variant/extern-ksym-typed", "variant/extern-ksym-untyped", "variant/extern-ksym-weak-missing", "variant/extern-ksym-missing", "variant/core-type-size-unguarded"} {
		every(c, knownDisagreements[c], all...)
	}
	// 5.10 and 6.1 end "the sequence of 8193 jumps is too complex" with
	// EFAULT, and cilium/ebpf keeps no log then: on the host kgent asks
	// bpftool for it; the product's VM has no bpftool, and kgent reports
	// the bare error. 6.12 and later keep the log.
	every("variant/verifier-jumps-too-complex", "cilium/ebpf keeps no log when the verifier returns EFAULT (\"the sequence of 8193 jumps is too complex\"), and the product's VM has no bpftool to ask for it", "debian-5.10", "debian-6.1")
	return m
}()

// vmDiffSampled are the kernels on which only every vmDiffSampleEvery-th
// example of kb/examples is compared (the variants and fixtures all
// are): 5.10, the slowest under TCG (1.8 s a case, where the others
// take 1.3 to 1.7 s).
var (
	vmDiffSampled     = map[string]bool{"debian-5.10": true}
	vmDiffSampleEvery = 3
)

// TestDifferentialLibbpfInVMs is TestDifferentialLibbpf in the microVM
// of each Debian kernel of the targets (5.10, 6.1, 6.12, sid): every
// case of diffCorpus (the kb's examples, the fixtures, the variants) is
// compiled once per kernel against that kernel's BTF, verified by
// kgent's verification for that target (in its VM), and loaded by
// `bpftool prog loadall` (libbpf 1.1, this machine's bpftool, carried
// into the VM: microvm.Options.Bpftool) in that same VM. Both must load
// it, or both reject it for the same class of reason; a disagreement
// prints both logs, unless knownVMDisagreements explains it. One VM per
// kernel serves both loaders and is stopped when its kernel is done.
//
// Objects with struct_ops maps are left out (libbpf registers the
// operations when it creates the maps, which the next case would find
// taken), and so is variant/verifier-too-large (minutes under TCG); a
// case that does not compile against a kernel's BTF (it uses types that
// kernel lacks) is counted apart, with clang's reason. Maps pinned by
// name are compared here (the guest removes them after each load),
// unlike on the host.
//
// Wall time: every case costs a compile and two loads under TCG, 1.3 to
// 1.8 s on the loaded 2-core machine (about 4 minutes a kernel): 6.1,
// 6.12 and sid compare every case, 5.10 (vmDiffSampled, the slowest)
// every variant and fixture but only every vmDiffSampleEvery-th
// example. The counts are logged. KGENT_VMDIFF_CASES (a regular expression on the
// cases' names) narrows the run, KGENT_VM_KERNELS the kernels.
func TestDifferentialLibbpfInVMs(t *testing.T) {
	env := vmSetup(t)
	bpftool, err := exec.LookPath("bpftool")
	if err != nil {
		t.Fatal(err)
	}
	opts := env.pool.Options()
	opts.Bpftool = bpftool
	// A program at the verifier's limits takes minutes under TCG.
	opts.RequestTimeout = 5 * time.Minute
	// libbpf retries a rejected program with a 16 MiB log: at the
	// verifier's limits, 512 MiB is not enough for it beside the init.
	opts.MemoryMB = 1024
	pool := microvm.NewPool(opts)
	defer pool.Close()
	cases := diffCorpus(t)
	exists := map[string]bool{}
	for _, c := range cases {
		exists[c.name] = true
	}
	if re := os.Getenv("KGENT_VMDIFF_CASES"); re != "" {
		// A regular expression on the cases' names: to look at a few.
		keep := regexp.MustCompile(re)
		cases = slices.DeleteFunc(cases, func(c diffCase) bool { return !keep.MatchString(c.name) })
	}
	type counts struct{ run, agree, explained, disagree, skipped, notCompiled, sampledOut int }
	total := counts{}
	var skipReasons, notCompiled []string
	for _, name := range vmKernels {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			k := env.profiles[name]
			tgt := microvm.Target{Image: k.Image(), Config: k.ConfigLines()}
			defer pool.Stop(tgt)
			v := New(Options{KB: k, VMs: pool, Timeout: 10 * time.Minute})
			var mu sync.Mutex
			var n counts
			examples := 0
			var run []diffCase
			for _, c := range cases {
				if strings.HasPrefix(c.name, "example/") {
					examples++
					if vmDiffSampled[name] && examples%vmDiffSampleEvery != 1 {
						n.sampledOut++
						continue
					}
				}
				if why := vmDiffSkip(c); why != "" {
					n.skipped++
					skipReasons = append(skipReasons, name+" "+c.name+": "+why)
					continue
				}
				run = append(run, c)
			}
			// Two compiles at a time; the VM takes one request at a time.
			ch := make(chan diffCase)
			var wg sync.WaitGroup
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for c := range ch {
						st, why := vmDiffOne(t, v, pool, tgt, name, c)
						mu.Lock()
						switch st {
						case vmAgree:
							n.agree++
						case vmExplained:
							n.explained++
						case vmNotCompiled:
							n.notCompiled++
							notCompiled = append(notCompiled, name+" "+c.name+": "+why)
						default:
							n.disagree++
						}
						if st != vmNotCompiled {
							n.run++
						}
						mu.Unlock()
						if why != "" && st != vmNotCompiled {
							t.Log(why)
						}
					}
				}()
			}
			for _, c := range run {
				ch <- c
			}
			close(ch)
			wg.Wait()
			for key := range knownVMDisagreements {
				kern, c, _ := strings.Cut(key, " ")
				if kern != name {
					continue
				}
				if !exists[c] {
					t.Errorf("knownVMDisagreements names %s, which is not a case of the corpus: remove it", key)
				}
			}
			t.Logf("%s (%s): %d programs compared: %d agree, %d known disagreements, %d unexplained; %d not loaded, %d that do not compile against its BTF, %d examples not sampled; %v",
				name, k.Meta.Kernel, n.run, n.agree, n.explained, n.disagree, n.skipped, n.notCompiled, n.sampledOut, time.Since(start).Round(time.Second))
			mu.Lock()
			total.run += n.run
			total.agree += n.agree
			total.explained += n.explained
			total.disagree += n.disagree
			total.skipped += n.skipped
			total.notCompiled += n.notCompiled
			total.sampledOut += n.sampledOut
			mu.Unlock()
		})
	}
	sort.Strings(skipReasons)
	for _, s := range skipReasons {
		t.Logf("not loaded: %s", s)
	}
	sort.Strings(notCompiled)
	for _, s := range notCompiled {
		t.Logf("not compiled: %s", s)
	}
	t.Logf("%d programs x %d kernels: %d compared, %d agree, %d known disagreements, %d unexplained; %d not loaded, %d that do not compile against a kernel's BTF, %d examples not sampled",
		len(cases), len(vmKernels), total.run, total.agree, total.explained, total.disagree, total.skipped, total.notCompiled, total.sampledOut)
}

// vmDiffSkip says why a case is not compared in the VMs, or "".
func vmDiffSkip(c diffCase) string {
	switch {
	case strings.Contains(c.text, "SEC(\".struct_ops"):
		return diffSkip(c.text)
	case c.name == "variant/verifier-too-large":
		// Both loaders walk a million instructions, libbpf twice (again
		// with its 16 MiB log): over five minutes under TCG, and more
		// memory than the VM has for libbpf's second walk.
		return "a million instructions walked three times take over 5 minutes under TCG"
	}
	return ""
}

// tgtRelease is the release of the verifier's kernel.
func tgtRelease(v *Verifier) string { return v.opts.KB.Meta.Kernel }

// How one case of TestDifferentialLibbpfInVMs ended.
type vmDiffStatus int

const (
	vmDisagree vmDiffStatus = iota // or failed: the test fails
	vmAgree
	vmExplained   // a known disagreement
	vmNotCompiled // an example that does not compile against the kernel's BTF
)

// vmDiffOne compares the two loaders on case c in kernel name's VM; what
// is a line for the log, or "".
func vmDiffOne(t *testing.T, v *Verifier, pool *microvm.Pool, tgt microvm.Target, name string, c diffCase) (st vmDiffStatus, what string) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	tmp, err := os.MkdirTemp("", "kgent-vmdiff-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	obj := filepath.Join(tmp, "prog.o")
	r, compiled := v.CompileC(ctx, c.path, c.text, obj)
	if !compiled {
		// A program written for newer kernels uses types this kernel's
		// BTF (its vmlinux.h) lacks: nothing to load.
		why := ""
		for _, f := range r.Findings {
			if f.Code == analysis.KG601 && f.Severity == analysis.Error {
				why = f.Message
				break
			}
		}
		if why == "" {
			t.Errorf("%s on %s: does not compile: %v\n%s", c.name, name, r.Findings, r.Log)
			return vmDisagree, ""
		}
		return vmNotCompiled, why
	}
	fs, klog := v.load(ctx, obj, srcNameFor(c.path), c.text, analysis.NewLineIndex(c.text))
	for _, f := range fs {
		// A CO-RE failure names the kernel it was relocated against.
		if strings.Contains(f.Message, "CO-RE relocation failed") && !strings.Contains(f.Message, "kernel "+tgtRelease(v)+"'s") && !strings.Contains(f.Message, "exist in kernel "+tgtRelease(v)) {
			t.Errorf("%s on %s: a CO-RE failure that does not name the kernel %s: %s", c.name, name, tgtRelease(v), f.Message)
		}
	}
	kout := kgentOutcome(fs)
	raw, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := pool.Loadall(ctx, tgt, v.stripped(ctx, raw))
	if err != nil {
		t.Errorf("%s on %s: bpftool did not run in the VM: %v", c.name, name, err)
		return vmDisagree, ""
	}
	if len(a.Problems) > 0 {
		t.Errorf("%s on %s: around bpftool in the VM: %v", c.name, name, a.Problems)
	}
	lout := libbpfOutcome(a.Output, a.Exit == 0)
	agree, why := agreeOutcomes(kout, lout)
	reason, listed := knownVMDisagreements[name+" "+c.name]
	switch {
	case agree && listed:
		t.Errorf("%s on %s: listed as a disagreement (%s) but both now %s: remove it from knownVMDisagreements", c.name, name, reason, kout)
	case agree:
		return vmAgree, ""
	case listed:
		return vmExplained, fmt.Sprintf("%s on %s: known disagreement: %s (kgent %s; libbpf %s)", c.name, name, reason, kout, lout)
	default:
		t.Errorf("%s on %s: kgent and libbpf disagree: %s\nkgent: %s\n%s\nkgent's log (tail):\n%s\n\nlibbpf: %s\nbpftool's output (tail, exit %d):\n%s",
			c.name, name, why, kout, findingsText(fs), tail(klog, 60), lout, a.Exit, tail(a.Output, 60))
	}
	return vmDisagree, ""
}
