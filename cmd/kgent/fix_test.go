package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
)

// kgent check --fix rewrites the file a link names with the fixes that
// help, keeps its mode and the link, says what it applied, and reports
// on the fixed text; stdin is refused.
func TestCheckFix(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Tracefs)
	dir := t.TempDir()
	real := filepath.Join(dir, "real.bt")
	src := "tracepoint:syscalls:sys_enter_opnat\n{\n\t@[comm] = cout();\n}\n"
	if err := os.WriteFile(real, []byte(src), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.bt")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "check", "--fix", link)
	got, _ := os.ReadFile(real)
	if code != 0 || !strings.Contains(string(got), "sys_enter_openat") || !strings.Contains(string(got), "count()") {
		t.Fatalf("exit %d\n%s%s\nfile:\n%s", code, out, errs, got)
	}
	if !strings.Contains(errs, "kgent: fixed "+link+":1: KG304") || !strings.Contains(errs, "KG201") {
		t.Fatalf("stderr does not say what was fixed:\n%s", errs)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link was replaced")
	}
	if st, _ := os.Stat(real); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("left files behind: %v", ents)
	}
	if code, _, errs := runCLI(t, "check", "--fix", "-"); code != 2 || !strings.Contains(errs, "stdin") {
		t.Fatalf("stdin: exit %d %s", code, errs)
	}
}
