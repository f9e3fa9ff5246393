package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kgent/kgent/internal/testenv"
)

// runCLIGuarded is runCLI failing the test if the command does not
// return: a named pipe used to block `kgent check` for ever and /dev/zero
// to read until memory ran out.
func runCLIGuarded(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errs := runCLI(t, args...)
		done <- result{code, out, errs}
	}()
	select {
	case r := <-done:
		return r.code, r.out, r.err
	case <-time.After(60 * time.Second):
		t.Fatalf("kgent %v hung", args)
	}
	return 0, "", ""
}

// TestCheckDirSkipsSpecialFiles: a directory walk checks regular files
// and skips, with a note, a named pipe called x.bt and links (one to
// /dev/zero, one to a file inside the tree).
func TestCheckDirSkipsSpecialFiles(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	dir := t.TempDir()
	good := filepath.Join(dir, "good.bt")
	if err := os.WriteFile(good, []byte("tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "x.bt"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.bpf.c")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("good.bt", filepath.Join(dir, "again.bt")); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLIGuarded(t, "check", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(errs, "1 file(s)") {
		t.Errorf("want only good.bt checked:\n%s%s", out, errs)
	}
	for _, want := range []string{
		filepath.Join(dir, "x.bt") + ": is not a regular file (a named pipe)",
		filepath.Join(dir, "zero.bpf.c") + ": is a symbolic link",
		filepath.Join(dir, "again.bt") + ": is a symbolic link",
	} {
		if !strings.Contains(errs, "skipped "+want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

// TestCheckNamedSpecialFile: a special file named on the command line is
// an error (exit 2), not a read without end.
func TestCheckNamedSpecialFile(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	dir := t.TempDir()
	fifo := filepath.Join(dir, "x.bt")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.bt")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, zero, "/dev/zero"} {
		code, out, errs := runCLIGuarded(t, "check", "--lang", "bpftrace", p)
		if code != 2 || !strings.Contains(out, p+": error: is not a regular file") {
			t.Errorf("check %s: exit %d\n%s%s", p, code, out, errs)
		}
	}
}

// TestCheckIncludeOfDevZero: the static check of a program including
// /dev/zero and calling an unknown helper ends with KG506.
func TestCheckIncludeOfDevZero(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	dir := t.TempDir()
	other := t.TempDir()
	up := strings.Repeat("../", strings.Count(dir, "/")+2)
	src := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n#include \"" + up + "dev/zero\"\n" +
		"SEC(\"tp/syscalls/sys_enter_openat\")\nint f(void *ctx) { bpf_kgent_unknown(ctx); return 0; }\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n"
	p := filepath.Join(dir, "p.bpf.c")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLIGuarded(t, "check", p)
	if code != 1 || !strings.Contains(out, "KG506") || !strings.Contains(out, "is not a regular file (a character device)") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	// KGENT_INCLUDE_PATHS allows a header outside the program's
	// directory.
	if err := os.WriteFile(filepath.Join(other, "common.h"), []byte("#define bpf_kgent_mine(x) 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(dir, filepath.Join(other, "common.h"))
	src = "#include \"vmlinux.h\"\n#include \"" + rel + "\"\nSEC(\"tp/syscalls/sys_enter_openat\")\nint f(void *ctx) { bpf_kgent_mine(ctx); return 0; }\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCLIGuarded(t, "check", p); code != 1 || !strings.Contains(out, "outside the allowed include directories") {
		t.Fatalf("without include paths: exit %d\n%s", code, out)
	}
	t.Setenv("KGENT_INCLUDE_PATHS", other)
	if code, out, errs := runCLIGuarded(t, "check", p); code != 0 {
		t.Fatalf("with KGENT_INCLUDE_PATHS: exit %d\n%s%s", code, out, errs)
	}
}
