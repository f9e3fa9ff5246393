package bpftrace

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
)

// checkIncludeGuarded checks src, failing the test if the check does not
// return.
func checkIncludeGuarded(t *testing.T, src string, opts Options) []analysis.Finding {
	t.Helper()
	var fs []analysis.Finding
	done := make(chan struct{})
	go func() {
		defer close(done)
		fs = Check(src, opts)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the check hung on an include")
	}
	return fs
}

// TestIncludesThatMustNotBeUsed: an include naming a file outside the
// allowed directories or not a regular file gets KG506 with the reason.
func TestIncludesThatMustNotBeUsed(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.h"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd.h")); err != nil {
		t.Fatal(err)
	}
	up := strings.Repeat("../", 12)
	script := filepath.Join(dir, "s.bt")
	cases := []struct {
		include string
		opts    Options
		reason  string
	}{
		{`"` + up + `dev/zero"`, Options{Path: script}, `#include "` + up + `dev/zero" (/dev/zero) is not a regular file (a character device)`},
		{`<` + up + `dev/zero>`, Options{}, `is not a regular file (a character device)`},
		{`"/dev/zero"`, Options{}, `#include "/dev/zero" is not a regular file (a character device)`},
		{`"/etc/passwd"`, Options{Path: script}, `#include "/etc/passwd" is outside the allowed include directories`},
		{`<fifo.h>`, Options{IncludePaths: []string{dir}}, `is not a regular file (a named pipe)`},
		{`<passwd.h>`, Options{IncludePaths: []string{dir}}, `is outside the allowed include directories`},
		{`"` + filepath.Join(dir, "fifo.h") + `"`, Options{Path: script}, `is not a regular file (a named pipe)`},
	}
	for _, c := range cases {
		src := "#include " + c.include + "\nBEGIN { exit(); }\n"
		fs := checkIncludeGuarded(t, src, c.opts)
		var got []analysis.Finding
		for _, f := range fs {
			if f.Code == analysis.KG506 {
				got = append(got, f)
			}
		}
		if len(got) != 1 || !strings.Contains(got[0].Message, c.reason) {
			t.Errorf("#include %s: KG506 %v; want one saying %q", c.include, got, c.reason)
		}
	}
}

// TestIncludesThatAreUsed: a header in the script's directory named by
// its absolute path, or in an include path, is fine.
func TestIncludesThatAreUsed(t *testing.T) {
	dir := t.TempDir()
	h := filepath.Join(dir, "defs.h")
	if err := os.WriteFile(h, []byte("#define X 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		include string
		opts    Options
	}{
		{`"` + h + `"`, Options{Path: filepath.Join(dir, "s.bt")}},
		{`<defs.h>`, Options{IncludePaths: []string{dir}}},
		{`"defs.h"`, Options{IncludePaths: []string{dir}}},
	} {
		fs := checkIncludeGuarded(t, "#include "+c.include+"\nBEGIN { exit(); }\n", c.opts)
		for _, f := range fs {
			if f.Code == analysis.KG506 {
				t.Errorf("#include %s: %v", c.include, f)
			}
		}
	}
}
