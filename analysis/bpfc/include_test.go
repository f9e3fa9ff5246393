package bpfc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// checkGuarded checks src as the file path, failing the test if the check
// does not return: an include of a named pipe used to block it for ever
// (and one of /dev/zero to read until memory ran out).
func checkGuarded(t *testing.T, k *kb.KB, src, path string, includePaths ...string) []analysis.Finding {
	t.Helper()
	var fs []analysis.Finding
	done := make(chan struct{})
	go func() {
		defer close(done)
		fs = Check(src, Options{KB: k, Path: path, IncludePaths: includePaths})
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the check hung on an include")
	}
	return fs
}

func byCode(fs []analysis.Finding, code string) []analysis.Finding {
	var out []analysis.Finding
	for _, f := range fs {
		if f.Code == code {
			out = append(out, f)
		}
	}
	return out
}

// prog is a program including header that calls bpf_kgent_own (defined
// by the header in the tests that read it) and, when unknown is set, a
// helper no header defines.
func prog(include string, unknown bool) string {
	s := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n#include " + include + "\n\n" +
		"SEC(\"tp/syscalls/sys_enter_openat\")\nint on_open(void *ctx)\n{\n\tbpf_kgent_own(ctx);\n"
	if unknown {
		s += "\tbpf_kgent_unknown(ctx);\n"
	}
	return s + "\treturn 0;\n}\n\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n"
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestIncludesThatMustNotBeRead: each include names something a check
// must not read; it gets KG506 with the reason, the check returns, and no
// unknown-helper error is built on a header that was not read.
func TestIncludesThatMustNotBeRead(t *testing.T) {
	k := hostKBFor(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "p.bpf.c")
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.h"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd.h")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.h")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "common.h"), "#define bpf_kgent_own(x) 0\n")
	toOther, _ := filepath.Rel(dir, filepath.Join(other, "common.h"))
	up := strings.Repeat("../", strings.Count(dir, "/")+2)
	cases := []struct{ include, reason string }{
		{`"` + up + `dev/zero"`, "is not a regular file (a character device)"},
		{`<` + up + `dev/zero>`, "is not a regular file (a character device)"},
		{`"fifo.h"`, "is not a regular file (a named pipe)"},
		{`"zero.h"`, "is not a regular file (a character device)"},
		{`"sub"`, "is not a regular file (a directory)"},
		{`"/etc/passwd"`, "is outside the allowed include directories"},
		{`"passwd.h"`, "is outside the allowed include directories"},
		{`"` + toOther + `"`, "is outside the allowed include directories"},
	}
	for _, c := range cases {
		src := prog(c.include, true)
		fs := checkGuarded(t, k, src, path)
		got := byCode(fs, analysis.KG506)
		if len(got) != 1 || !strings.Contains(got[0].Message, c.reason) {
			t.Errorf("#include %s: KG506 %v; want one saying %q (all: %v)", c.include, got, c.reason, fs)
			continue
		}
		if at := src[got[0].Span.Start:got[0].Span.End]; at != c.include {
			t.Errorf("#include %s: KG506 at %q", c.include, at)
		}
		// <...> headers are never read for names (the kb and the
		// libbpf headers give them): only a quoted one makes "maybe".
		if kg201 := byCode(fs, analysis.KG201); c.include[0] == '"' && len(kg201) != 0 {
			t.Errorf("#include %s: %v built on a header that was not read", c.include, kg201)
		}
	}
}

// TestIncludeOfProcFD is the language server's and MCP server's case: a
// document whose path is under /proc/self/fd includes "N", the server's
// own pipe (its stdin in production), which must not be read.
func TestIncludeOfProcFD(t *testing.T) {
	k := hostKBFor(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	src := prog(`"`+strconv.Itoa(int(r.Fd()))+`"`, true)
	fs := checkGuarded(t, k, src, "/proc/self/fd/p.bpf.c")
	if got := byCode(fs, analysis.KG506); len(got) != 1 || !strings.Contains(got[0].Message, "is not a regular file") {
		t.Fatalf("KG506 %v, want one: not a regular file (all: %v)", got, fs)
	}
	// Nothing was taken from the pipe.
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if n, err := r.Read(buf); n != 1 || err != nil {
		t.Fatalf("pipe read %d, %v", n, err)
	}
}

// TestIncludesThatAreRead: a header beside the program, below it, or in
// a configured include path is read for the names it defines.
func TestIncludesThatAreRead(t *testing.T) {
	k := hostKBFor(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "p.bpf.c")
	own := "static __always_inline int bpf_kgent_own(void *ctx) { return 0; }\n"
	writeFile(t, filepath.Join(dir, "own.h"), own)
	writeFile(t, filepath.Join(dir, "sub", "own.h"), own)
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "common.h"), own)
	if err := os.Symlink("own.h", filepath.Join(dir, "link.h")); err != nil {
		t.Fatal(err)
	}
	toOther, _ := filepath.Rel(dir, filepath.Join(other, "common.h"))
	cases := []struct {
		include string
		paths   []string
	}{
		{`"own.h"`, nil},
		{`"sub/own.h"`, nil},
		{`"link.h"`, nil},
		{`"common.h"`, []string{other}},
		{`"` + toOther + `"`, []string{other}},
	}
	for _, c := range cases {
		fs := checkGuarded(t, k, prog(c.include, true), path, c.paths...)
		if got := byCode(fs, analysis.KG506); len(got) != 0 {
			t.Errorf("#include %s (paths %v): %v", c.include, c.paths, got)
		}
		// The header was read: its helper is known, the other is not.
		kg201 := byCode(fs, analysis.KG201)
		if len(kg201) != 1 || !strings.Contains(kg201[0].Message, "bpf_kgent_unknown") {
			t.Errorf("#include %s (paths %v): KG201 %v, want one for bpf_kgent_unknown", c.include, c.paths, kg201)
		}
		if fs := checkGuarded(t, k, prog(c.include, false), path, c.paths...); len(byCode(fs, analysis.KG201)) != 0 {
			t.Errorf("#include %s (paths %v): the header's own helper is reported: %v", c.include, c.paths, fs)
		}
	}
	// Not found anywhere: it may define anything, nothing is reported.
	fs := checkGuarded(t, k, prog(`"common.h"`, true), path)
	if len(byCode(fs, analysis.KG201)) != 0 || len(byCode(fs, analysis.KG506)) != 0 {
		t.Errorf("include found nowhere: %v", fs)
	}
}

// BenchmarkResolveIncludes is what resolving a usual program's includes
// adds to every check.
func BenchmarkResolveIncludes(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "own.h"), []byte("#define X 1\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	lines := []includeLine{{name: "vmlinux.h", quoted: true}, {name: "bpf/bpf_helpers.h"}, {name: "bpf/bpf_tracing.h"},
		{name: "bpf/bpf_core_read.h"}, {name: "own.h", quoted: true}}
	for b.Loop() {
		c := &checker{path: filepath.Join(dir, "p.bpf.c"), incLines: lines}
		c.resolveIncludes(Options{})
	}
}
