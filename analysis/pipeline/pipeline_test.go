package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/internal/testenv"
)

// A `for` over a map is bpftrace 0.20's: the release the configuration
// names decides, not the installed bpftrace (0.17 here), in every front
// that checks through the pipeline.
func TestConfiguredReleaseDecides(t *testing.T) {
	k := testenv.HostKB(t)
	script := "BEGIN { @m[1] = 2; for ($kv : @m) { print($kv); } exit(); }\n"
	errorsAt := func(version string) []string {
		p := New(Config{Settings: Settings{BpftraceVersion: version}, Origin: map[string]string{"bpftraceVersion": FromEnv}}, k)
		if v, from := p.BpftraceRelease(); v != version || !strings.Contains(from, "environment") {
			t.Errorf("release %q from %q, want %s from the environment", v, from, version)
		}
		snap, err := p.Analyze(context.Background(), Document{Path: "loop.bt", Text: script})
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, f := range snap.Static {
			if f.Severity == analysis.Error {
				codes = append(codes, f.Code+" "+f.Message)
			}
		}
		return codes
	}
	if got := errorsAt("0.26"); len(got) != 0 {
		t.Errorf("0.26 accepts for over a map: %v", got)
	}
	if got := errorsAt("0.17"); len(got) == 0 {
		t.Error("0.17 has no for over a map, and no error said so")
	}
}

// The release comes from the configured binary when no version is set,
// and is the newest known (with a note saying so) when there is none.
func TestReleaseFromBinary(t *testing.T) {
	if v, from := New(Config{Settings: Settings{BpftracePath: "/nonexistent/bpftrace"}}, nil).BpftraceRelease(); v != "" || !strings.Contains(from, "no bpftrace found") {
		t.Errorf("missing binary: %q %q", v, from)
	}
	testenv.Require(t, testenv.Bpftrace)
	v, from := New(Config{Settings: Settings{BpftracePath: "/usr/bin/bpftrace"}}, nil).BpftraceRelease()
	if !strings.HasPrefix(v, "0.") || strings.Count(v, ".") != 1 || !strings.Contains(from, "/usr/bin/bpftrace") {
		t.Errorf("installed bpftrace: %q %q", v, from)
	}
}

// What keeps verification from running is a typed reason, not a finding
// to search for.
func TestVerificationReasons(t *testing.T) {
	k := testenv.HostKB(t)
	p := New(Config{}, k)
	ctx := context.Background()
	r, err := p.CheckText(ctx, Document{Path: "bad.bt", Text: "BEGIN { printf(\"x\"; }\n"}, Options{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(r.Verification.Unavailable, ErrSyntax) || r.Verification.Ran || len(r.Findings) == 0 {
		t.Errorf("syntax error: %+v", r.Verification)
	}
	r, err = p.CheckText(ctx, Document{Path: "bin.bt", Text: "BEGIN\x00{}"}, Options{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(r.Snapshot.NotChecked, check.ErrBinary) || !errors.Is(r.Verification.Unavailable, check.ErrBinary) || len(r.Findings) != 0 {
		t.Errorf("binary: %+v %+v", r.Snapshot.NotChecked, r.Verification)
	}
	if r := New(Config{}, nil).Check(ctx, &Snapshot{Path: "x.bt", Text: "BEGIN {}", Dialect: analysis.DialectBpftrace}, Options{Verify: true}); !errors.Is(r.Verification.Unavailable, ErrNoKB) {
		t.Errorf("no kb: %+v", r.Verification)
	}
	r, err = New(Config{Settings: Settings{BpftracePath: "/nonexistent/bpftrace"}}, k).CheckText(ctx, Document{Path: "ok.bt", Text: "BEGIN { exit(); }\n"}, Options{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verification.Ran || r.Verification.Unavailable == nil || !strings.Contains(r.Verification.Unavailable.Error(), "bpftrace") {
		t.Errorf("no bpftrace: %+v", r.Verification)
	}
}

// Verification jobs are the caller's: a newer Check of the same job
// cancels the older one; checks without a job never cancel each other,
// even for the same path.
func TestVerificationJobs(t *testing.T) {
	k := testenv.HostKB(t, testenv.Headers)
	testenv.Require(t, testenv.Clang, testenv.BPF)
	p := New(Config{}, k)
	// Programs big enough that compiling one takes far longer than the
	// pause between starting two checks.
	prog := func(n string) string {
		var b strings.Builder
		b.WriteString("#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n")
		for i := range 400 {
			fmt.Fprintf(&b, "static __noinline int f%d(int x) { return x * %d + (x >> 3); }\n", i, i+1)
		}
		b.WriteString("SEC(\"tracepoint/syscalls/sys_enter_openat\")\nint p" + n + "(void *ctx) { return f0(1) + f399(2); }\n")
		return b.String()
	}
	run := func(job, n string, delay time.Duration) (res Result) {
		time.Sleep(delay)
		r, err := p.CheckText(context.Background(), Document{Path: "/tmp/same.bpf.c", Text: prog(n)}, Options{Verify: true, Job: job})
		if err != nil {
			t.Error(err)
		}
		return r
	}
	var wg sync.WaitGroup
	var a, b Result
	wg.Add(2)
	go func() { defer wg.Done(); a = run("doc", "a", 0) }()
	go func() { defer wg.Done(); b = run("doc", "b", 20*time.Millisecond) }()
	wg.Wait()
	// The newer of the two cancels the older; which one the scheduler
	// starts first on a loaded machine is not the test's to decide.
	older, newer := a, b
	if b.Verification.Cancelled {
		older, newer = b, a
	}
	if !older.Verification.Cancelled || newer.Verification.Cancelled || !newer.Verification.Ran {
		t.Errorf("same job: cancelled %v and %v, ran %v and %v (%v)", a.Verification.Cancelled, b.Verification.Cancelled, a.Verification.Ran, b.Verification.Ran, newer.Verification.Unavailable)
	}
	wg.Add(2)
	go func() { defer wg.Done(); a = run("", "c", 0) }()
	go func() { defer wg.Done(); b = run("", "d", 20*time.Millisecond) }()
	wg.Wait()
	t.Logf("own jobs: %v and %v, %d and %d verifier findings", a.Verification.Duration, b.Verification.Duration, len(a.Verification.Findings), len(b.Verification.Findings))
	if !a.Verification.Ran || !b.Verification.Ran {
		t.Errorf("own jobs: %+v / %+v", a.Verification, b.Verification)
	}
}
