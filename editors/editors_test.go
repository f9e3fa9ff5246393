package editors_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kgent/kgent/analysis/verify/microvm"
	"github.com/kgent/kgent/internal/testenv"
)

// TestNeovimEndToEnd runs Debian's Neovim headless against the real
// server: diagnostics with the right codes and lines, quick fixes applied,
// and :KgentGenerate inserting a program.
func TestNeovimEndToEnd(t *testing.T) {
	testenv.Require(t, testenv.Nvim, testenv.BTF, testenv.Tracefs)
	dir := t.TempDir()
	bin := kgentBin(t)
	work := filepath.Join(dir, "work")
	os.Mkdir(work, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nvim", "--headless", "-u", "NONE", "-c", "luafile nvim/test/e2e.lua")
	cmd.Env = append(os.Environ(), "KGENT_BIN="+bin, "KGENT_TMP="+work, "KGENT_KB_DIR="+filepath.Join(dir, "kb"))
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil || !strings.Contains(string(out), "kgent nvim e2e: PASS") {
		t.Fatalf("nvim e2e failed: %v", err)
	}
}

// TestNeovimTargetVerify runs Neovim against the real server with targets
// debian-5.10 and debian-6.1 and verification on save
// (nvim/test/targets.lua): the server boots both kernels in microVMs with
// progress, and after a save of a program calling bpf_loop a diagnostic on
// the call's line says 5.10's own verifier rejected it, none that 6.1's
// did. No QEMU outlives the editor: this process is made the subreaper of
// its descendants, so a VM the server left behind would be its child.
func TestNeovimTargetVerify(t *testing.T) {
	testenv.Require(t, testenv.Nvim, testenv.BTF, testenv.Clang, testenv.Headers)
	testenv.Kernels(t)
	if why := microvm.Missing(microvm.Options{}); why != "" {
		testenv.Skip(t, "%s", why)
	}
	testenv.Short(t, "boots two kernels in microVMs")
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	dir := t.TempDir()
	bin := kgentBin(t)
	work := filepath.Join(dir, "work")
	os.Mkdir(work, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nvim", "--headless", "-u", "NONE", "-c", "luafile nvim/test/targets.lua")
	cmd.Dir = "."
	cmd.Env = append(os.Environ(), "KGENT_BIN="+bin, "KGENT_TMP="+work)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil || !strings.Contains(string(out), "kgent nvim targets: PASS") {
		t.Errorf("nvim targets e2e failed: %v", err)
	}
	// The server stops its VMs when the editor ends it; give it a moment.
	var left []int
	for i := 0; i < 100; i++ {
		if left = testenv.QEMUChildren(); len(left) == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(left) > 0 {
		for _, pid := range left {
			unix.Kill(pid, unix.SIGKILL)
		}
		t.Errorf("QEMU processes left running after the editor quit: %v", left)
	}
}

// TestNeovimHealth runs :checkhealth kgent: with everything in place
// every check reports OK (the server's version, the kb of the running
// kernel, each tool, root); with the server missing, the report says so
// as an error.
func TestNeovimHealth(t *testing.T) {
	testenv.Require(t, testenv.Nvim, testenv.Clang, testenv.Bpftool, testenv.Bpftrace)
	dir := t.TempDir()
	bin := kgentBin(t)
	health := func(server string) string {
		report := filepath.Join(t.TempDir(), "health.txt")
		lua := `vim.opt.runtimepath:prepend('nvim'); vim.g.kgent_no_setup = true; require('kgent').config.cmd = { '` + server + `', 'lsp' }`
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "nvim", "--headless", "-u", "NONE", "-c", "lua "+lua, "-c", "checkhealth kgent", "-c", "w! "+report, "-c", "qa!")
		cmd.Env = append(os.Environ(), "KGENT_KB_DIR="+filepath.Join(dir, "kb"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		data, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	var uts syscall.Utsname
	if err := syscall.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	release := ""
	for _, c := range uts.Release {
		if c == 0 {
			break
		}
		release += string(rune(c))
	}
	root := "OK: running as root"
	if os.Getuid() != 0 {
		root = "WARNING: not root"
	}
	report := health(bin)
	for _, want := range []string{"## kgent server", "OK: " + bin + ": kgent ", "OK: kb: kernel:", release, "## kgent tools",
		"OK: clang found", "OK: bpftool found", "OK: bpftrace found", root} {
		if !strings.Contains(report, want) {
			t.Errorf("health report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "ERROR") || strings.Contains(report, "WARNING: kb") {
		t.Errorf("health report has errors:\n%s", report)
	}
	missing := filepath.Join(dir, "no-such-kgent")
	if report := health(missing); !strings.Contains(report, "ERROR: "+missing+" not found") {
		t.Errorf("a missing server is not an error:\n%s", report)
	}
}

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// kgentBin is the server the editors start, built once for the tests of
// this package (TestMain removes it).
func kgentBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "kgent-editors-"); binErr != nil {
			return
		}
		if out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "kgent"), "../cmd/kgent").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, "kgent")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
