package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kgent/kgent/analysis/report"
	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/analysis/verify/microvm"
	"github.com/kgent/kgent/internal/testenv"
)

// expectedMatrix is the committed result of every example against every
// kernel target: one line per example and kernel where the example has
// errors, with the codes and why the kernel differs.
const expectedMatrix = "../../testdata/targets/examples.txt"

// TestExamplesMatrix checks every example of kb/examples against the
// Debian kernels and compares which have errors on which kernel with the
// committed matrix; every difference there carries its explanation. One
// problem is one finding naming the kernels it applies to.
func TestExamplesMatrix(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	testenv.Kernels(t)
	testenv.Short(t, "builds four kernel profiles")
	targets := strings.Join(testenv.DebianKernels, ",")
	code, out, errs := runCLI(t, "check", "--format", "json", "--target", targets, "../../kb/examples")
	if code != 0 && code != 1 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var rep report.JSONReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range rep.Files {
		if f.Error != "" {
			t.Fatalf("%s: %s", f.Path, f.Error)
		}
		for _, d := range f.Diagnostics {
			if d.Severity != "error" {
				continue
			}
			if len(d.Targets) == 0 {
				t.Errorf("%s: %s names no kernel: %s", f.Path, d.Code, d.Message)
			}
			if len(d.Targets) < len(testenv.DebianKernels) && !strings.Contains(d.Message, "(on "+strings.Join(d.Targets, ", ")+")") {
				t.Errorf("%s: %s does not say where it applies: %s", f.Path, d.Code, d.Message)
			}
			for _, tg := range d.Targets {
				key := strings.TrimPrefix(f.Path, "../../") + " " + tg
				if codes := strings.Fields(got[key]); !slices.Contains(codes, d.Code) {
					got[key] = strings.TrimSpace(got[key] + " " + d.Code)
				}
			}
		}
	}
	want := map[string]string{}
	file, err := os.Open(expectedMatrix)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		row, why, _ := strings.Cut(line, "#")
		f := strings.Fields(row)
		if len(f) < 3 || strings.TrimSpace(why) == "" {
			t.Errorf("%s: %q: want FILE TARGET CODES # why", expectedMatrix, line)
			continue
		}
		want[f[0]+" "+f[1]] = strings.Join(f[2:], " ")
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s: got %q, committed %q", k, got[k], want[k])
		}
	}
	if t.Failed() {
		var b strings.Builder
		for _, k := range keys {
			if got[k] != "" {
				fmt.Fprintf(&b, "%s %s # ...\n", k, got[k])
			}
		}
		t.Logf("the matrix now:\n%s", b.String())
	}
}

// kgent check --verify --target host-vm boots the running kernel's own
// image; where /boot does not hold it, the target is refused (exit 2) with
// the file it looked for. With the image, the program is verified in its
// VM (exit 0 for a program every kernel accepts).
func TestCheckHostVM(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Clang, testenv.Headers)
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	img := "/boot/vmlinuz-" + unix.ByteSliceToString(u.Release[:])
	prog := filepath.Join(t.TempDir(), "ok.bpf.c")
	os.WriteFile(prog, []byte("#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC(\"license\") = \"GPL\";\nSEC(\"tracepoint/syscalls/sys_enter_openat\")\nint p(void *ctx) { return 0; }\n"), 0o644)
	if verify.HostImage() == "" {
		code, _, errs := runCLI(t, "check", "--verify", "--target", "host-vm", prog)
		if code != 2 || !strings.Contains(errs, img) || !strings.Contains(errs, "host-vm") {
			t.Fatalf("exit %d without %s:\n%s", code, img, errs)
		}
		// The refusal is what this machine can show; pipeline's
		// TestHostVMTarget boots a Debian kernel as host-vm.
		return
	}
	if why := microvm.Missing(microvm.Options{}); why != "" {
		testenv.Skip(t, "%s", why)
	}
	testenv.Short(t, "boots the running kernel")
	code, out, errs := runCLI(t, "check", "--verify", "-v", "--target", "host-vm", prog)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}
