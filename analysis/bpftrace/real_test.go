package bpftrace

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// emitELF runs the installed bpftrace's parser, semantic analysis and code
// generation without attaching.
func emitELF(t *testing.T, path string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bpftrace", "--emit-elf", filepath.Join(t.TempDir(), "out.o"), path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestValidScriptsAgainstBpftrace proves the valid fixtures are valid for
// the real bpftrace, and that kgent reports no error on them.
func TestValidScriptsAgainstBpftrace(t *testing.T) {
	testenv.Require(t, testenv.Bpftrace, testenv.BPF)
	k := hostKBFor(t)
	files, _ := filepath.Glob("testdata/valid*.bt")
	examples, _ := filepath.Glob("../../kb/examples/*/prog.bt")
	files = append(files, examples...)
	if len(files) == 0 {
		t.Fatal("no valid scripts")
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			out, err := emitELF(t, f)
			if err != nil {
				var errs []string
				for _, l := range strings.Split(out, "\n") {
					if strings.Contains(l, "ERROR") && !strings.Contains(l, "RLIMIT_MEMLOCK") {
						errs = append(errs, l)
					}
				}
				t.Fatalf("bpftrace rejects %s: %v\n%s", f, err, strings.Join(errs, "\n"))
			}
			data, _ := os.ReadFile(f)
			for _, fd := range Check(string(data), Options{KB: k}) {
				if fd.Severity == analysis.Error {
					t.Errorf("false error %s: %s", fd.Code, fd.Message)
				}
			}
		})
	}
}

// TestInvalidFixturesRejectedByBpftrace checks that what kgent calls an
// invented function is also what bpftrace refuses.
func TestInventedFunctionRejectedByBpftrace(t *testing.T) {
	testenv.Require(t, testenv.Bpftrace, testenv.BPF)
	path := filepath.Join(t.TempDir(), "bad.bt")
	os.WriteFile(path, []byte("BEGIN { @x = log2(1); }\n"), 0o644)
	out, err := emitELF(t, path)
	if err == nil || !strings.Contains(out, "log2") {
		t.Fatalf("bpftrace accepted log2: %s", out)
	}
	fs := Check("BEGIN { @x = log2(1); }\n", Options{})
	if len(fs) != 1 || fs[0].Code != analysis.KG201 {
		t.Fatalf("kgent: %+v", fs)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.bt")
	for _, p := range files {
		data, _ := os.ReadFile(p)
		f.Add(string(data))
	}
	for _, tc := range agreeCases {
		f.Add(tc.src)
	}
	f.Add("k:f{")
	f.Add("BEGIN { if (1) { } else if (2) { } else { } }")
	f.Add("/* unterminated")
	f.Add("t:a:b /pid/ { $x = ((struct s *)arg0)->f->g[1].h; @m[1,2] = (1,2); }")
	f.Fuzz(func(t *testing.T, src string) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			file, errs := Parse(src)
			for _, e := range errs {
				if e.Span.Start < 0 || e.Span.End > len(src) || e.Span.Start > e.Span.End {
					t.Errorf("bad span %+v for %d bytes", e.Span, len(src))
				}
			}
			for _, p := range file.Probes {
				if p.Span.Start < 0 || p.Span.End > len(src) {
					t.Errorf("bad probe span %+v", p.Span)
				}
			}
			for _, fd := range Check(src, Options{Version: "0.17"}) {
				if fd.Span.Start < 0 || fd.Span.End > len(src) || fd.Span.Start > fd.Span.End {
					t.Errorf("bad span %+v of %s for %d bytes", fd.Span, fd.Code, len(src))
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("parser did not finish on %q", src)
		}
	})
}

func BenchmarkCheck500(b *testing.B) {
	k := hostKBFor(b)
	k.Warm()
	data, err := os.ReadFile("testdata/valid.bt")
	if err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	for sb.Len() == 0 || strings.Count(sb.String(), "\n") < 500 {
		sb.Write(data)
	}
	src := sb.String()
	b.ResetTimer()
	for b.Loop() {
		Check(src, Options{KB: k, Version: "0.17"})
	}
}

// TestProvidesMatchesBpftrace asks the installed bpftrace which probe
// types provide args, argN, sargN, retval and func, and compares its
// answers with the kb's facts for that version.
func TestProvidesMatchesBpftrace(t *testing.T) {
	testenv.Require(t, testenv.Bpftrace, testenv.BPF)
	spec := kb.BpftraceSpec(InstalledVersion())
	probes := []string{"tracepoint:syscalls:sys_enter_read", "kprobe:vfs_read", "kretprobe:vfs_read",
		"uprobe:/bin/bash:readline", "uretprobe:/bin/bash:readline", "usdt:/usr/bin/python3:function__entry",
		"profile:hz:99", "interval:s:1", "software:cpu-clock:1000", "BEGIN"}
	dir := t.TempDir()
	answered := 0
	defer func() {
		if answered < 40 {
			t.Errorf("bpftrace answered only %d of 50 questions", answered)
		}
	}()
	for i, probe := range probes {
		typ, _, _ := strings.Cut(probe, ":")
		for j, b := range []string{"arg0", "sarg0", "args", "retval", "func"} {
			path := filepath.Join(dir, fmt.Sprintf("p%d_%d.bt", i, j))
			use := "@x = " + b + ";"
			if b == "args" {
				use = "@x = args->fd;"
			}
			if err := os.WriteFile(path, []byte(probe+" { "+use+" }\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := emitELF(t, path)
			refused := strings.Contains(out, "The "+b+" builtin can")
			if err != nil && !refused {
				// Refused for another reason first (no DWARF for args or
				// retval in a uprobe of a stripped binary): no answer.
				t.Logf("%s in %s: %s", b, typ, firstError(out))
				continue
			}
			answered++
			if got := spec.Provides(typ, b); got == refused {
				t.Errorf("bpftrace %s: %s in %s: kb says provided=%v, bpftrace says %q", spec.Version, b, typ, got, firstError(out))
			}
		}
	}
}

func firstError(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "ERROR") && !strings.Contains(l, "RLIMIT_MEMLOCK") {
			return l
		}
	}
	return "no error"
}
