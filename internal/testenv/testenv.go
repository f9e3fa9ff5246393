// Package testenv decides, in one place, whether a test that needs the
// machine (BPF privilege, BTF, tracefs, external tools) runs or skips.
// Under KGENT_REQUIRE_BPF=1 (set by .ci/run) a missing requirement fails
// the test instead of skipping it.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cilium/ebpf/rlimit"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// Requirement is something a test needs from the machine.
type Requirement string

const (
	BPF      Requirement = "bpf"     // root with CAP_BPF: programs load
	BTF      Requirement = "btf"     // /sys/kernel/btf/vmlinux
	Tracefs  Requirement = "tracefs" // /sys/kernel/tracing/events readable
	Clang    Requirement = "clang"
	Bpftool  Requirement = "bpftool"
	Bpftrace Requirement = "bpftrace"
	Nvim     Requirement = "nvim"
	Node     Requirement = "node"
	Clangd   Requirement = "clangd"
	Headers  Requirement = "libbpf-headers" // /usr/include/bpf/bpf_helpers.h
	Root     Requirement = "root"           // euid 0: files can be given to other users
	Readelf  Requirement = "readelf"        // binutils
)

// Strict reports whether missing requirements fail rather than skip.
func Strict() bool { return os.Getenv("KGENT_REQUIRE_BPF") == "1" }

var memlockOnce sync.Once

// Missing returns why r is not available, or "" when it is.
func Missing(r Requirement) string {
	switch r {
	case BPF:
		if os.Geteuid() != 0 {
			return "needs root for BPF (run as root or with CAP_BPF)"
		}
		memlockOnce.Do(func() { _ = rlimit.RemoveMemlock() })
		if _, err := os.Stat("/sys/fs/bpf"); err != nil {
			return "no /sys/fs/bpf: kernel without BPF"
		}
	case Root:
		if os.Geteuid() != 0 {
			return "needs root (to give files to another user)"
		}
	case BTF:
		if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
			return "no /sys/kernel/btf/vmlinux: kernel without BTF"
		}
	case Tracefs:
		if _, err := os.Stat("/sys/kernel/tracing/events/syscalls"); err != nil {
			return "tracefs is not mounted at /sys/kernel/tracing (scripts/setup.sh mounts it)"
		}
	case Headers:
		if _, err := os.Stat("/usr/include/bpf/bpf_helpers.h"); err != nil {
			return "libbpf headers are not installed (apt-get install libbpf-dev)"
		}
	default:
		if _, err := exec.LookPath(string(r)); err != nil {
			return string(r) + " is not installed (scripts/setup.sh installs it)"
		}
	}
	return ""
}

// Require skips t (or fails it under KGENT_REQUIRE_BPF=1) unless every
// requirement is met.
func Require(t testing.TB, rs ...Requirement) {
	t.Helper()
	var missing []string
	for _, r := range rs {
		if why := Missing(r); why != "" {
			missing = append(missing, why)
		}
	}
	if len(missing) == 0 {
		return
	}
	Skip(t, "%s", strings.Join(missing, "; "))
}

var (
	hostOnce sync.Once
	hostKB   *kb.KB
	hostErr  error
)

// HostKB loads the host kernel's kb once per test binary (from the cache
// KGENT_KB_DIR names, built when missing), after requiring BTF and rs.
func HostKB(t testing.TB, rs ...Requirement) *kb.KB {
	t.Helper()
	Require(t, append([]Requirement{BTF}, rs...)...)
	hostOnce.Do(func() { hostKB, hostErr = kb.Load(kb.Options{}) })
	if hostErr != nil {
		t.Fatalf("loading the host kb: %v", hostErr)
	}
	return hostKB
}

// Fixtures runs check on every file matching pattern (at least min of
// them) and compares its findings with the file's `// want:` comments,
// both ways: a missing and an unexpected finding both fail.
func Fixtures(t *testing.T, pattern string, min int, check func(t *testing.T, path, src string) []analysis.Finding) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < min {
		t.Fatalf("%s: only %d fixtures, want at least %d", pattern, len(files), min)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src := string(data)
			for _, p := range analysis.MatchWants(src, check(t, f, src)) {
				t.Error(p)
			}
		})
	}
}

// Skip is the one way a test skips: with the reason, and under
// KGENT_REQUIRE_BPF=1 (CI, where setup installed everything) it fails
// instead, so a skip can never hide a missing install step or a feature
// that stopped working.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Strict() {
		t.Fatalf("KGENT_REQUIRE_BPF=1 but the test would skip: %s", msg)
	}
	t.Skip(msg)
}

// Short skips a long test under go test -short and in each mutant's run
// of make mutate (KGENT_MUTATE=1), never under KGENT_REQUIRE_BPF=1,
// where it runs.
func Short(t testing.TB, why string) {
	t.Helper()
	if (testing.Short() || os.Getenv("KGENT_MUTATE") == "1") && !Strict() {
		t.Skip("-short: " + why)
	}
}

// DebianKernels are the kernels scripts/kernels.sh caches, oldest first:
// the targets the kernel-target tests check against.
var DebianKernels = []string{"debian-5.10", "debian-6.1", "debian-6.12", "debian-sid"}

// Kernels skips (fails under KGENT_REQUIRE_BPF=1) unless every kernel of
// DebianKernels is cached (scripts/setup.sh runs scripts/kernels.sh).
func Kernels(t testing.TB) {
	t.Helper()
	for _, name := range DebianKernels {
		if _, err := kb.FindKernel(name); err != nil {
			Skip(t, "kernel %s is not cached (scripts/setup.sh runs scripts/kernels.sh): %v", name, err)
		}
	}
}

var (
	kernelMu  sync.Mutex
	kernelKBs = map[string]*kb.KB{}
)

// KernelKB is the kb of a kernel of DebianKernels, once per test binary:
// its saved profile, else one built from the cached image (not saved).
// It skips as Kernels does when the image is not cached.
func KernelKB(t testing.TB, name string) *kb.KB {
	t.Helper()
	kernelMu.Lock()
	defer kernelMu.Unlock()
	if k, ok := kernelKBs[name]; ok {
		return k
	}
	k, err := kb.OpenProfile(name)
	if err != nil {
		img, ferr := kb.FindKernel(name)
		if ferr != nil {
			Skip(t, "kernel %s is not cached (scripts/setup.sh runs scripts/kernels.sh): %v", name, ferr)
		}
		img.Name = name
		if k, err = kb.BuildImage(img); err != nil {
			t.Fatalf("building a profile of %s from %s: %v", name, img.Image, err)
		}
	}
	kernelKBs[name] = k
	return k
}

// QEMUChildren lists the QEMU processes this process started that still
// run: test binaries that boot microVMs check it in TestMain.
func QEMUChildren() []int {
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

// BpftraceReleases are the releases scripts/bpftrace-releases.sh caches
// in private prefixes under .cache/bpftrace (the system's is 0.17).
var BpftraceReleases = []string{"0.23.2", "0.27.1"}

// BpftraceRelease is the path of a cached bpftrace release (full
// version, "0.27.1"): .cache/bpftrace/FULL/bpftrace in the first of the
// working directory and its parents that has it. It skips (fails under
// KGENT_REQUIRE_BPF=1) when none does.
func BpftraceRelease(t testing.TB, full string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, ".cache", "bpftrace", full, "bpftrace")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
		if d == filepath.Dir(d) {
			Skip(t, "bpftrace %s is not in .cache/bpftrace (scripts/setup.sh --test runs scripts/bpftrace-releases.sh)", full)
			return ""
		}
	}
}
