package kb

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestIncludeResolver(t *testing.T) {
	prog := t.TempDir()
	other := t.TempDir()
	write(t, filepath.Join(prog, "maps.bpf.h"), "#define M 1\n")
	write(t, filepath.Join(prog, "sub", "x.h"), "#define X 1\n")
	write(t, filepath.Join(other, "common.h"), "#define C 1\n")
	if err := syscall.Mkfifo(filepath.Join(prog, "fifo.h"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(prog, "passwd.h")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(prog, "zero.h")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("maps.bpf.h", filepath.Join(prog, "inside.h")); err != nil {
		t.Fatal(err)
	}
	big, err := os.Create(filepath.Join(prog, "big.h"))
	if err != nil {
		t.Fatal(err)
	}
	if err := big.Truncate(MaxHeaderSize + 1); err != nil {
		t.Fatal(err)
	}
	big.Close()
	toOther, err := filepath.Rel(prog, filepath.Join(other, "common.h"))
	if err != nil {
		t.Fatal(err)
	}
	up := strings.Repeat("../", strings.Count(prog, "/")+2)
	pipe := pipeFD(t)

	type want struct {
		ok     bool   // resolved to a usable file
		reason string // else: part of the error; "" with !ok: not found
	}
	cases := []struct {
		name   string
		quoted bool
		sc     IncludeScope
		want   want
	}{
		{"maps.bpf.h", true, IncludeScope{Dir: prog}, want{ok: true}},
		{"sub/x.h", true, IncludeScope{Dir: prog}, want{ok: true}},
		{"inside.h", true, IncludeScope{Dir: prog}, want{ok: true}},
		{"none.h", true, IncludeScope{Dir: prog}, want{}},
		// <...> does not look beside the program.
		{"maps.bpf.h", false, IncludeScope{Dir: prog}, want{}},
		{"fifo.h", true, IncludeScope{Dir: prog}, want{reason: "is not a regular file (a named pipe)"}},
		{"zero.h", true, IncludeScope{Dir: prog}, want{reason: "is not a regular file (a character device)"}},
		{up + "dev/zero", true, IncludeScope{Dir: prog}, want{reason: "is not a regular file (a character device)"}},
		{up + "dev/zero", false, IncludeScope{Dir: prog}, want{reason: "is not a regular file"}},
		{"sub", true, IncludeScope{Dir: prog}, want{reason: "is not a regular file (a directory)"}},
		{"/etc/passwd", true, IncludeScope{Dir: prog}, want{reason: ReasonOutside}},
		{"passwd.h", true, IncludeScope{Dir: prog}, want{reason: ReasonOutside}},
		{"/proc/self/status", true, IncludeScope{Dir: prog}, want{reason: ReasonOutside}},
		{toOther, true, IncludeScope{Dir: prog}, want{reason: ReasonOutside}},
		// A configured include directory is allowed, found through it
		// or beside the program.
		{toOther, true, IncludeScope{Dir: prog, Paths: []string{other}}, want{ok: true}},
		{"common.h", false, IncludeScope{Dir: prog, Paths: []string{other}}, want{ok: true}},
		{"big.h", true, IncludeScope{Dir: prog}, want{reason: "is larger than 8 MiB"}},
		// The program's directory under /proc grants nothing.
		{filepath.Base(pipe), true, IncludeScope{Dir: filepath.Dir(pipe)}, want{reason: "is not a regular file"}},
		{"status", true, IncludeScope{Dir: "/proc/self"}, want{reason: ReasonOutside}},
		// Nor does the file system root.
		{"etc/passwd", true, IncludeScope{Dir: "/"}, want{reason: ReasonOutside}},
	}
	for _, c := range cases {
		r := NewIncludeResolver(c.sc)
		var path string
		var err error
		guard(t, func() { path, err = r.Resolve(c.name, c.quoted, true) })
		switch {
		case c.want.ok:
			if err != nil || path == "" {
				t.Errorf("%q (dir %s): %q, %v; want a usable file", c.name, c.sc.Dir, path, err)
			}
		case c.want.reason == "":
			if err != nil || path != "" {
				t.Errorf("%q (dir %s): %q, %v; want not found", c.name, c.sc.Dir, path, err)
			}
		default:
			var ie *IncludeError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want.reason) {
				t.Errorf("%q (dir %s): %q, %v; want an IncludeError %q", c.name, c.sc.Dir, path, err, c.want.reason)
			}
		}
	}
	// The size limit is only for files kgent reads itself.
	if _, err := NewIncludeResolver(IncludeScope{Dir: prog}).Resolve("big.h", true, false); err != nil {
		t.Errorf("big.h not read by kgent: %v", err)
	}
}

func TestIncludeErrorMessage(t *testing.T) {
	_, err := NewIncludeResolver(IncludeScope{Dir: t.TempDir()}).Resolve("/etc/passwd", true, true)
	if err == nil || err.Error() != `#include "/etc/passwd" is outside the allowed include directories` {
		t.Fatalf("got %v", err)
	}
}

// A system header is found and allowed.
func TestIncludeResolverSystemHeader(t *testing.T) {
	if _, err := os.Stat("/usr/include/stdio.h"); err != nil {
		t.Fatalf("libc's headers are part of the toolchain setup installs: %v", err)
	}
	p, err := NewIncludeResolver(IncludeScope{}).Resolve("stdio.h", false, true)
	if err != nil || p == "" {
		t.Fatalf("<stdio.h>: %q, %v", p, err)
	}
}

func TestFileNamesRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.h")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	k := &KB{}
	for _, p := range []string{fifo, "/dev/zero", pipeFD(t)} {
		var err error
		guard(t, func() { _, err = k.FileNames(p) })
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("FileNames(%s): %v, want ErrNotRegular", p, err)
		}
	}
}
