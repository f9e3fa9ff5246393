package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
)

// TestMatrixKeepsSeveritiesAndFixesApart: one problem on several kernels
// is one finding, but a warning on one kernel (the program provides for
// the absence there) is not merged into the error on another, nor a
// rename to one name into a rename to another; a finding without a fix
// joins one with.
func TestMatrixKeepsSeveritiesAndFixesApart(t *testing.T) {
	sp := analysis.Span{Start: 3, End: 9}
	errOn := analysis.New(analysis.KG302, sp, "kernel function f does not exist")
	warnOn := errOn.WithSeverity(analysis.Warning)
	renameA := errOn.WithFix("Replace with a", sp, "a")
	renameB := errOn.WithFix("Replace with b", sp, "b")
	ts := []Target{{Name: "k1"}, {Name: "k2"}, {Name: "k3"}, {Name: "k4"}}
	got := matrix(ts, [][]analysis.Finding{{errOn}, {warnOn}, {errOn}, {warnOn}})
	if len(got) != 2 {
		t.Fatalf("%d findings: %+v", len(got), got)
	}
	for _, f := range got {
		want := []string{"k1", "k3"}
		if f.Severity == analysis.Warning {
			want = []string{"k2", "k4"}
		}
		if !reflect.DeepEqual(f.Targets, want) || !strings.HasSuffix(f.Message, "(on "+strings.Join(want, ", ")+")") {
			t.Errorf("%s on %v: %s", f.Severity, f.Targets, f.Message)
		}
	}
	got = matrix(ts, [][]analysis.Finding{{renameA}, {renameB}, {errOn}, {renameA}})
	if len(got) != 2 {
		t.Fatalf("%d findings: %+v", len(got), got)
	}
	for _, f := range got {
		switch f.Fixes[0].Edits[0].NewText {
		case "a":
			if !reflect.DeepEqual(f.Targets, []string{"k1", "k3", "k4"}) {
				t.Errorf("rename to a on %v", f.Targets)
			}
		case "b":
			if !reflect.DeepEqual(f.Targets, []string{"k2"}) {
				t.Errorf("rename to b on %v", f.Targets)
			}
		}
	}
}
