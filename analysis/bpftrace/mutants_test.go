package bpftrace

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
)

// TestMutantsAgreeWithBpftrace breaks the valid examples in small,
// typical ways (a field, function or builtin renamed, args.f on 0.17, a
// missing str(), a dropped printf argument, a wrong conversion, a map
// used with another key count, ...) and requires kgent's verdict to be
// bpftrace's. Only attach-time problems (a missing tracepoint or symbol),
// which bpftrace --emit-elf does not look at, may be kgent's alone.
func TestMutantsAgreeWithBpftrace(t *testing.T) {
	testenv.Require(t, testenv.Bpftrace, testenv.BPF)
	testenv.Short(t, "runs bpftrace some hundred times")
	if v := InstalledVersion(); v != "0.17" {
		testenv.Skip(t, "judged for bpftrace 0.17, installed: %s", v)
	}
	k := hostKBFor(t)
	files, _ := filepath.Glob("../../kb/examples/bt-*/prog.bt")
	if len(files) < 40 {
		t.Fatalf("only %d examples", len(files))
	}
	muts := []struct {
		name string
		re   *regexp.Regexp
		rep  string
	}{
		{"field", regexp.MustCompile(`args->([a-z_]+)`), "args->${1}x"},
		{"call", regexp.MustCompile(`\b(count|hist|sum|str|lhist|avg|max|min|stats|delete|clear|print|time|strftime|ksym|usym|exit|join|kstack|ustack)\(`), "${1}z("},
		{"dot", regexp.MustCompile(`args->`), "args."},
		{"builtin", regexp.MustCompile(`\b(comm|pid|tid|nsecs|cpu|uid)\b`), "${1}q"},
		{"tp", regexp.MustCompile(`(tracepoint:[a-z_]+:[a-z_0-9]+)`), "${1}q"},
		{"nostr", regexp.MustCompile(`str\((args->[a-z_]+)\)`), "$1"},
		{"retval", regexp.MustCompile(`args->ret\b`), "retval"},
		{"droparg", regexp.MustCompile(`(printf\("[^"]*",[^;]*), [^,;]+\);`), "$1);"},
		{"argn", regexp.MustCompile(`args->[a-z_]+`), "arg1"},
		{"member", regexp.MustCompile(`(curtask->[a-z_]+)`), "${1}q"},
		{"lhist", regexp.MustCompile(`(lhist\([^;]*), [0-9]+\)`), "$1)"},
		{"usym", regexp.MustCompile(`(uprobe:[^:]+:[a-z_]+)`), "${1}z"},
		{"dash", regexp.MustCompile(`%-?[0-9]*d`), "%s"},
		{"sfmt", regexp.MustCompile(`%-?[0-9]*s`), "%d"},
		{"map2", regexp.MustCompile(`(@[a-z_]+)\[`), "${1}[1, "},
	}
	dir := t.TempDir()
	agree, total := 0, 0
	// Every example gets a rotating third of the mutations (the full set,
	// KGENT_ALL_MUTANTS=1, runs bpftrace ~300 times).
	all := os.Getenv("KGENT_ALL_MUTANTS") == "1"
	for i, f := range files {
		data, _ := os.ReadFile(f)
		src := string(data)
		for j, m := range muts {
			if !all && (i+j)%3 != 0 {
				continue
			}
			loc := m.re.FindStringSubmatchIndex(src)
			if loc == nil {
				continue
			}
			var out []byte
			out = m.re.ExpandString(out, m.rep, src, loc)
			mut := src[:loc[0]] + string(out) + src[loc[1]:]
			path := filepath.Join(dir, "m.bt")
			os.WriteFile(path, []byte(mut), 0o644)
			res, err := emitELF(t, path)
			bt := err != nil || strings.Contains(firstError(res), "ERROR")
			var ours []string
			attachOnly := true
			for _, fd := range Check(mut, Options{KB: k, Version: "0.17"}) {
				if fd.Severity == analysis.Error || fd.Code == analysis.KG503 {
					ours = append(ours, string(fd.Code)+" "+fd.Message)
					attachOnly = attachOnly && (fd.Code == analysis.KG304 || fd.Code == analysis.KG306)
				}
			}
			total++
			if bt == (len(ours) > 0) {
				agree++
				continue
			}
			if !bt && attachOnly {
				t.Logf("%s %s: kgent only (attach time): %q", filepath.Base(filepath.Dir(f)), m.name, ours)
				continue
			}
			t.Errorf("%s, mutation %s (%s): bpftrace error=%v (%s), kgent %q", filepath.Base(filepath.Dir(f)), m.name, out, bt, firstError(res), ours)
		}
	}
	t.Logf("same verdict on %d of %d mutants", agree, total)
	if total < 80 {
		t.Errorf("only %d mutants", total)
	}
}
