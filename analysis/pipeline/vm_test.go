package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
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
