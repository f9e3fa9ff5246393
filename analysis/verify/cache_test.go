package verify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
)

const plantedHeader = "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n/* PLANTED */\n#endif /* __VMLINUX_H__ */\n"

// plantHeader writes a vmlinux.h where v looks for the host's, as another
// user could in a cache they can write.
func plantHeader(t *testing.T, v *Verifier) string {
	t.Helper()
	_, sum, err := v.targetBTF()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(v.opts.CacheDir, "vmlinux", sum)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	hdr := filepath.Join(dir, "vmlinux.h")
	if err := os.WriteFile(hdr, []byte(plantedHeader), 0o644); err != nil {
		t.Fatal(err)
	}
	return hdr
}

func planted(t *testing.T, hdr string) bool {
	b, _ := os.ReadFile(hdr)
	return strings.Contains(string(b), "PLANTED")
}

// A vmlinux.h planted in a cache that is not the user's own, or not the
// user's own in their cache, is never compiled into a program; in the
// user's own cache it is used (the control).
func TestPlantedVmlinuxNotUsed(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Root)
	tmp := t.TempDir()

	own := New(Options{CacheDir: filepath.Join(tmp, "own")})
	hdr := plantHeader(t, own)
	if dir, err := own.vmlinuxDir(context.Background()); err != nil || filepath.Join(dir, "vmlinux.h") != hdr {
		t.Fatalf("control: the user's own header was not used: %v", err)
	}

	shared := New(Options{CacheDir: filepath.Join(tmp, "shared")})
	plantHeader(t, shared)
	os.Chmod(shared.opts.CacheDir, 0o777)
	if _, err := shared.vmlinuxDir(context.Background()); err == nil || !strings.Contains(err.Error(), shared.opts.CacheDir) {
		t.Fatalf("world-writable cache: %v", err)
	}

	foreign := New(Options{CacheDir: filepath.Join(tmp, "foreign")})
	plantHeader(t, foreign)
	if err := filepath.Walk(foreign.opts.CacheDir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 65534, 65534)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := foreign.vmlinuxDir(context.Background()); err == nil || !strings.Contains(err.Error(), "uid 65534") {
		t.Fatalf("cache owned by another user: %v", err)
	}
	// Verification says why it cannot run, naming the cache.
	if testenv.Missing(testenv.Clang) == "" {
		r := foreign.Verify(context.Background(), "x.bpf.c", "#include \"vmlinux.h\"\nint x;\n", analysis.DialectC)
		if len(r.Findings) != 1 || r.Findings[0].Code != analysis.KG604 || !strings.Contains(r.Findings[0].Message, foreign.opts.CacheDir) {
			t.Fatalf("verification with a foreign cache: %+v", r.Findings)
		}
	}

	// The user's cache, a header another user owns in it: generated anew.
	testenv.Require(t, testenv.Bpftool)
	mixed := New(Options{CacheDir: filepath.Join(tmp, "mixed")})
	hdr = plantHeader(t, mixed)
	if err := os.Chown(hdr, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := mixed.vmlinuxDir(context.Background()); err != nil {
		t.Fatal(err)
	}
	if planted(t, hdr) {
		t.Fatal("a vmlinux.h owned by another user was used")
	}
}

// The attack as it was: with HOME unset the default cache was
// $TMPDIR/kgent/kb whoever owned it, and a vmlinux.h another user planted
// there was compiled into a root verification. The default cache is now
// per-user and private, so the planted header is never read.
func TestNoHomePlantedVmlinuxNotCompiled(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Clang, testenv.Bpftool, testenv.Headers)
	tmp := t.TempDir()
	os.Chmod(tmp, 0o777|os.ModeSticky) // like /tmp
	t.Setenv("TMPDIR", tmp)
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("KGENT_KB_DIR", "")
	probe := New(Options{CacheDir: filepath.Join(tmp, "kgent", "kb")})
	hdr := plantHeader(t, probe)
	os.WriteFile(hdr, []byte("#error PLANTED header compiled\n"), 0o666)
	v := New(Options{})
	if strings.HasPrefix(v.opts.CacheDir, filepath.Join(tmp, "kgent")+string(filepath.Separator)) {
		t.Fatalf("the default cache is the shared %s", v.opts.CacheDir)
	}
	src := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n" +
		"SEC(\"tracepoint/syscalls/sys_enter_openat\")\nint handle(void *ctx) { return 0; }\n"
	r := v.Verify(context.Background(), filepath.Join(tmp, "p.bpf.c"), src, analysis.DialectC)
	for _, f := range r.Findings {
		if strings.Contains(f.Message, "PLANTED") {
			t.Fatalf("the planted header was compiled: %+v", f)
		}
		if f.Code == analysis.KG601 {
			t.Fatalf("compile error: %+v", f)
		}
	}
	if strings.Contains(r.Log, "PLANTED") {
		t.Fatalf("the planted header was compiled:\n%s", r.Log)
	}
}
