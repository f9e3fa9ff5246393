package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis/verify/microvm"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// A target built from a kernel image is verified by that kernel's own
// verifier in a microVM: bpf_loop is accepted by 6.1's and rejected by
// 5.10's, each finding naming its kernel; Close stops the VMs.
func TestTargetsVerifyInMicroVMs(t *testing.T) {
	k := testenv.HostKB(t, testenv.Headers)
	testenv.Kernels(t)
	testenv.Require(t, testenv.Clang)
	testenv.Short(t, "boots two kernels")
	p := New(Config{Settings: Settings{Targets: []string{"debian-5.10", "debian-6.1"}}, Verbose: true}, k)
	defer p.Close()
	if probs := p.Problems(); len(probs) > 0 {
		t.Fatal(probs)
	}
	src := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n" +
		"static long cb(u32 i, void *ctx) { return 0; }\n" +
		"SEC(\"tracepoint/syscalls/sys_enter_openat\")\nint p(void *ctx) { bpf_loop(4, cb, 0, 0); return 0; }\n"
	r, err := p.CheckText(context.Background(), Document{Path: "/tmp/loop.bpf.c", Text: src}, Options{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	v := r.Verification
	if !strings.Contains(v.Log, "accepted on 6.1") {
		t.Fatalf("6.1's verifier did not accept it: %v\n%s", v.Unavailable, v.Log)
	}
	rejected := false
	for _, f := range v.Findings {
		if strings.Contains(f.Message, "5.10") && len(f.Targets) == 1 && f.Targets[0] == "debian-5.10" {
			rejected = true
		}
	}
	if !rejected {
		t.Fatalf("no rejection by 5.10's verifier: %+v\n%s", v.Findings, v.Log)
	}
	// The static prediction stands for the rejection (one problem, one
	// finding) and says 5.10's verifier confirmed it.
	confirmed := false
	for _, f := range r.Findings {
		for _, n := range f.Notes {
			if strings.Contains(n, "verifier: rejected by the verifier of 5.10") {
				confirmed = f.Source != "verifier" && strings.Contains(f.Message, "bpf_loop")
			}
			if strings.Contains(n, "verifier of 6.1") {
				t.Errorf("6.1's verifier accepts bpf_loop, yet: %s", n)
			}
		}
	}
	if !confirmed {
		t.Fatalf("the static finding does not say 5.10's verifier confirmed it: %+v", r.Findings)
	}
}

// The target host-vm is the running kernel verified in a microVM booted
// from its own image. Here /boot is a directory holding Debian 6.1's
// files under the names /boot gives them, and the running release is
// 6.1's: the profile is built from that image, cached as host-vm, and
// the program is verified by 6.1's verifier in its VM (bpf_loop
// accepted, the verdict naming that kernel).
func TestHostVMTarget(t *testing.T) {
	testenv.HostKB(t, testenv.Headers)
	testenv.Kernels(t)
	testenv.Require(t, testenv.Clang)
	if why := microvm.Missing(microvm.Options{}); why != "" {
		testenv.Skip(t, "%s", why)
	}
	testenv.Short(t, "boots a kernel")
	img, err := kb.FindKernel("debian-6.1")
	if err != nil {
		t.Fatal(err)
	}
	const release = "6.1.0-50-amd64"
	boot := t.TempDir()
	for dst, src := range map[string]string{"vmlinuz-": img.Image, "config-": img.Config} {
		if err := os.Symlink(src, filepath.Join(boot, dst+release)); err != nil {
			t.Fatal(err)
		}
	}
	defer func(dir string, rel func() string) { hostBootDir, hostRelease = dir, rel }(hostBootDir, hostRelease)
	hostBootDir, hostRelease = boot, func() string { return release }
	t.Setenv("KGENT_KB_DIR", t.TempDir()) // the profile host-vm of this fake /boot is not the machine's

	p := New(Config{Settings: Settings{Targets: []string{HostVM}}, Verbose: true}, testenv.HostKB(t))
	defer p.Close()
	if probs := p.Problems(); len(probs) > 0 {
		t.Fatal(probs)
	}
	ts := p.Targets()
	if len(ts) != 1 || ts[0].Label() != "host-vm ("+release+")" || ts[0].KB.Image() != filepath.Join(boot, "vmlinuz-"+release) {
		t.Fatalf("targets %+v", ts)
	}
	src := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n" +
		"static long cb(u32 i, void *ctx) { return 0; }\n" +
		"SEC(\"tracepoint/syscalls/sys_enter_openat\")\nint p(void *ctx) { bpf_loop(4, cb, 0, 0); return 0; }\n"
	r, err := p.CheckText(context.Background(), Document{Path: "/tmp/loop.bpf.c", Text: src}, Options{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	v := r.Verification
	if !v.Ran || !strings.Contains(v.Log, "accepted on 6.1") || len(v.Findings) > 0 {
		t.Fatalf("not verified by 6.1's verifier in a VM: ran %v, %v, %+v\n%s", v.Ran, v.Unavailable, v.Findings, v.Log)
	}
	if k, err := kb.OpenProfile(HostVM); err != nil || k.Meta.Kernel != release {
		t.Fatalf("the host-vm profile was not cached: %v", err)
	}
}

// Without the running kernel's image, host-vm is an error that names the
// file it looked for.
func TestHostVMWithoutImage(t *testing.T) {
	_, err := openHostVM(t.TempDir(), "9.9.9-none", nil)
	if err == nil || !strings.Contains(err.Error(), "vmlinuz-9.9.9-none") || !strings.Contains(err.Error(), "there is none") {
		t.Fatalf("error %v", err)
	}
	if os.Geteuid() == 0 {
		return // root reads a 0600 image
	}
	boot := t.TempDir()
	os.WriteFile(filepath.Join(boot, "vmlinuz-9.9.9-none"), []byte("x"), 0o000)
	if _, err := openHostVM(boot, "9.9.9-none", nil); err == nil || !strings.Contains(err.Error(), "not readable") {
		t.Fatalf("error for an unreadable image: %v", err)
	}
}
