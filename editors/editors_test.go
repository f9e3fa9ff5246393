package editors_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kgent/kgent/internal/testenv"
)

// TestNeovimEndToEnd runs Debian's Neovim headless against the real
// server: diagnostics with the right codes and lines, quick fixes applied,
// and :KgentGenerate inserting a program.
func TestNeovimEndToEnd(t *testing.T) {
	testenv.Require(t, testenv.Nvim, testenv.BTF, testenv.Tracefs)
	dir := t.TempDir()
	bin := filepath.Join(dir, "kgent")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/kgent").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
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

// TestNeovimHealth runs :checkhealth kgent.
func TestNeovimHealth(t *testing.T) {
	testenv.Require(t, testenv.Nvim)
	dir := t.TempDir()
	bin := filepath.Join(dir, "kgent")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/kgent").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	report := filepath.Join(dir, "health.txt")
	lua := `vim.opt.runtimepath:prepend('nvim'); vim.g.kgent_no_setup = true; require('kgent').config.cmd = { '` + bin + `', 'lsp' }`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nvim", "--headless", "-u", "NONE", "-c", "lua "+lua, "-c", "checkhealth kgent", "-c", "w! "+report, "-c", "qa!")
	cmd.Env = append(os.Environ(), "KGENT_KB_DIR="+filepath.Join(dir, "kb"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	data, _ := os.ReadFile(report)
	for _, want := range []string{"kgent server", "kgent tools", "clang"} {
		if !strings.Contains(string(data), want) {
			t.Fatalf("health report lacks %q:\n%s", want, data)
		}
	}
}
