package verify

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
)

// Checking a script never runs it, on any release: bpftrace 0.27's
// --emit-elf writes the ELF and then loads and runs the program (its
// BEGIN probe printed here), so releases with --mode get --mode codegen.
// Each release still reports a script's errors on their lines.
func TestBpftraceNeverRunsTheScript(t *testing.T) {
	testenv.Require(t, testenv.BPF, testenv.Bpftrace)
	sys, err := exec.LookPath("bpftrace")
	if err != nil {
		t.Fatal(err)
	}
	bins := []string{sys}
	for _, full := range testenv.BpftraceReleases {
		bins = append(bins, testenv.BpftraceRelease(t, full))
	}
	const marker = "KGENT-SCRIPT-RAN"
	run := "BEGIN { printf(\"" + marker + "\\n\"); exit(); }\n"
	bad := "BEGIN {\n\tprintf(\"%d\\n\", \"x\");\n\texit();\n}\n"
	for _, bt := range bins {
		v := New(Options{BpftracePath: bt})
		r := v.Verify(context.Background(), "run.bt", run, analysis.DialectBpftrace)
		if strings.Contains(r.Log, marker) || strings.Contains(r.Log, "Attached") || len(r.Findings) != 0 {
			t.Errorf("%s ran the script, or reported on it (a valid script, so nothing but machine noise could be):\n%s\n%+v", bt, r.Log, r.Findings)
		}
		r = v.Verify(context.Background(), "bad.bt", bad, analysis.DialectBpftrace)
		var line int = -1
		for _, f := range r.Findings {
			if f.Severity == analysis.Error && f.Source == analysis.SourceBpftrace {
				line = analysis.NewLineIndex(bad).Position(f.Span.Start).Line
				break
			}
		}
		if line != 1 {
			t.Errorf("%s: the printf of a string as %%d is not an error on line 2: %+v\n%s", bt, r.Findings, r.Log)
		}
	}
}
