package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// kgent kb build --kernel/--image --name makes a named profile that kb
// list shows; wrong uses are usage errors.
func TestKBTargetCLI(t *testing.T) {
	o, err := kb.FindKernel("debian-6.12")
	if err != nil {
		testenv.Skip(t, "kernel debian-6.12 is not cached (scripts/setup.sh runs scripts/kernels.sh): %v", err)
	}
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	if code, out, _ := runCLI(t, "kb", "list"); code != 0 || !strings.Contains(out, "no kernel profiles") {
		t.Fatalf("empty list: %d %q", code, out)
	}
	release := strings.TrimPrefix(filepath.Base(o.Image), "vmlinuz-")
	code, out, errOut := runCLI(t, "kb", "build", "--kernel", "debian-6.12", "-q")
	if code != 0 || !strings.Contains(out, "profile debian-6.12: kernel "+release) {
		t.Fatalf("build --kernel: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "kb", "build", "--image", o.Image, "--config", o.Config, "--name", "trixie")
	if code != 0 || !strings.Contains(out, "profile trixie: kernel "+release) || !strings.Contains(errOut, "tracepoints:") {
		t.Fatalf("build --image: %d %q %q", code, out, errOut)
	}
	// Without --name, the profile is named after the release.
	code, out, errOut = runCLI(t, "kb", "build", "--image", o.Image, "-q")
	if code != 0 || !strings.Contains(out, "profile "+release+": kernel "+release) {
		t.Fatalf("build --image without --name: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "kb", "list")
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		if f := strings.Fields(line); len(f) >= 2 {
			rows[f[0]] = f[1]
		}
	}
	if code != 0 || len(rows) != 3 || rows["debian-6.12"] != release || rows["trixie"] != release || rows[release] != release {
		t.Fatalf("list: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "kb", "list", "--json")
	var ps []kb.ProfileInfo
	if err := json.Unmarshal([]byte(out), &ps); err != nil || code != 0 || len(ps) != 3 || ps[2].Name != "trixie" || ps[2].Kernel != release || ps[2].BuiltAt == "" {
		t.Fatalf("list --json: %v %d %q", err, code, out)
	}
	k, err := kb.OpenProfile("trixie")
	if err != nil || k.Meta.Name != "trixie" || k.NumTracepoints() == 0 {
		t.Fatalf("OpenProfile: %v", err)
	}
	for _, args := range [][]string{
		{"kb", "build", "--name", "x"},                                 // no kernel
		{"kb", "build", "--image", o.Image, "--kernel", "debian-6.12"}, // both
		{"kb", "build", "--image", o.Image, "--name", "../escape"},     // bad name
		{"kb", "build", "--image", "/etc/passwd", "--name", "passwd"},  // not a kernel
		{"kb", "build", "--kernel", "no-such-kernel"},                  // not cached
		{"kb", "list", "extra"},
	} {
		if code, out, errOut := runCLI(t, args...); code == 0 {
			t.Errorf("%v: exit 0 %q %q", args, out, errOut)
		}
	}
	if _, err := kb.OpenProfile("passwd"); err == nil {
		t.Error("a failed build left a profile")
	}
}

// kgent kb build --probe boots the kernel in a microVM and records what
// its verifier accepts, with the source saying so: bpf_loop from a
// kprobe program on 6.1 (it came in 5.17), unknown without the probe.
func TestKBBuildProbe(t *testing.T) {
	testenv.Short(t, "boots a kernel in QEMU")
	if _, err := kb.FindKernel("debian-6.1"); err != nil {
		testenv.Skip(t, "kernel debian-6.1 is not cached (scripts/setup.sh runs scripts/kernels.sh): %v", err)
	}
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	code, out, errOut := runCLI(t, "kb", "build", "--kernel", "debian-6.1", "--name", "probed", "--probe")
	if code != 0 || !strings.Contains(errOut, "probed 6.1.") {
		t.Fatalf("build --probe: %d %q %q", code, out, errOut)
	}
	if code, _, _ := runCLI(t, "kb", "build", "--kernel", "debian-6.1", "--name", "plain", "-q"); code != 0 {
		t.Fatal("build without --probe failed")
	}
	probed, err := kb.OpenProfile("probed")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := kb.OpenProfile("plain")
	if err != nil {
		t.Fatal(err)
	}
	if src := probed.Meta.Sources["helper_availability"]; !strings.HasPrefix(src, kb.FromProbe+": in a microVM running 6.1.") {
		t.Errorf("helper availability of the probed profile: %q", src)
	}
	if got := probed.HelperAllowed("bpf_loop", "kprobe"); got != kb.Yes {
		t.Errorf("bpf_loop from kprobes, probed: %v", got)
	}
	if got := plain.HelperAllowed("bpf_loop", "kprobe"); got == kb.Yes {
		t.Errorf("bpf_loop from kprobes without a probe: %v (nothing asked the kernel)", got)
	}
}
