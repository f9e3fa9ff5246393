package bpftrace

import (
	"os"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

func hostKBFor(t testing.TB) *kb.KB {
	t.Helper()
	return testenv.HostKB(t, testenv.Tracefs)
}

// TestFixtures runs every testdata/*.bt and compares the findings with
// its `// want:` comments, both ways.
func TestFixtures(t *testing.T) {
	k := hostKBFor(t)
	testenv.Fixtures(t, "testdata/*.bt", 5, func(t *testing.T, path, src string) []analysis.Finding {
		version := "0.17"
		if i := strings.Index(src, "// version: "); i >= 0 {
			version = strings.Fields(src[i+len("// version: "):])[0]
		}
		return Check(src, Options{KB: k, Version: version})
	})
}

func TestParseNeverLoses(t *testing.T) {
	src := "BEGIN { printf(\"hi\\n\") }\nkprobe:foo { @x = count( }\nEND { exit(); }\n"
	f, errs := Parse(src)
	if len(f.Probes) != 3 {
		t.Fatalf("probes %d, want 3 (recovery after the error)", len(f.Probes))
	}
	if len(errs) != 1 {
		t.Fatalf("errors %v, want exactly one", errs)
	}
	if !strings.Contains(errs[0].Message, "expected") {
		t.Errorf("message %q", errs[0].Message)
	}
}

// TestFixesApply applies the first fix of each finding and checks the
// fixed script again: the finding is gone and nothing new appears.
func TestFixesApply(t *testing.T) {
	k := hostKBFor(t)
	for _, tc := range []struct{ src, code, fixed string }{
		{"tracepoint:syscalls:sys_enter_opnat { @ = count(); }", "KG304", "tracepoint:syscalls:sys_enter_openat"},
		{"kprobee:vfs_read { @ = count(); }", "KG301", "kprobe:vfs_read"},
		{"tracepoint:syscalls:sys_enter_openat { printf(\"%s\\n\", str(args->fname)); }", "KG402", "args->filename"},
		{"uprobe:/bin/bash:readlinex { @ = count(); }", "KG306", ":readline {"},
		{"usdt:/usr/bin/python3:function__entryy { @ = count(); }", "KG306", ":function__entry {"},
		{"tracepoint:block:block_rq_issue { @ = log2(args->bytes); }", "KG201", "hist(args->bytes)"},
		{"tracepoint:sched:sched_process_exec { @[comn] = count(); }", "KG201", "@[comm]"},
		{"tracepoint:sched:sched_process_exec { @ = coutn(); }", "KG201", "count()"},
		{"tracepoint:block:block_rq_issue { @[str(args->rwbs)] = count(); }", "KG406", "@[args->rwbs]"},
		{"tracepoint:sched:sched_process_exec { printf(\"%d\\n\", ((struct task_struct *)curtask)->pidd); }", "KG401", "->pid)"},
		{"fentry:vfs_read { @ = count(); }", "KG301", "kfunc:vfs_read"},
	} {
		fs := Check(tc.src, Options{KB: k, Version: "0.17"})
		var f *analysis.Finding
		for i := range fs {
			if string(fs[i].Code) == tc.code {
				f = &fs[i]
			}
		}
		if f == nil || len(f.Fixes) == 0 {
			t.Errorf("%s: no %s with a fix in %v", tc.src, tc.code, fs)
			continue
		}
		fixed := tc.src
		edits := f.Fixes[0].Edits
		for i := len(edits) - 1; i >= 0; i-- {
			e := edits[i]
			fixed = fixed[:e.Span.Start] + e.NewText + fixed[e.Span.End:]
		}
		if !strings.Contains(fixed, tc.fixed) {
			t.Errorf("%s: fixed to %q, want it to contain %q", tc.src, fixed, tc.fixed)
		}
		for _, g := range Check(fixed, Options{KB: k, Version: "0.17"}) {
			if g.Code == f.Code || g.Severity == analysis.Error {
				t.Errorf("%s: after the fix %q: %s %s", tc.src, fixed, g.Code, g.Message)
			}
		}
	}
}

func TestDescribeAndNames(t *testing.T) {
	for name, frag := range map[string]string{"hist": "histogram", "comm": "command name", "log2": "hist(x)", "ppid": "new in bpftrace 0.2", "count": "aggregation"} {
		if d := Describe(name); !strings.Contains(d, frag) {
			t.Errorf("Describe(%s) = %q, want %q in it", name, d, frag)
		}
	}
	if d := Describe("kgent_nothing"); d != "" {
		t.Errorf("Describe of an unknown name: %q", d)
	}
	kinds := map[string]string{}
	for _, n := range Names() {
		kinds[n.Name] = n.Kind
		if n.Detail == "" {
			t.Errorf("%s has no detail", n.Name)
		}
	}
	if kinds["printf"] != "function" || kinds["comm"] != "variable" {
		t.Errorf("kinds: printf %q comm %q", kinds["printf"], kinds["comm"])
	}
}

// TestCheckWithoutKB: with no kb only syntax and language checks run, and
// nothing about the kernel is claimed.
func TestCheckWithoutKB(t *testing.T) {
	src := "#include <kgent/none.h>\ntracepoint:syscalls:sys_enter_opnat { @x = log2(args->fname); @y = arg0; }\nkprobe:no_such_fn { @z = count(); }\n"
	var codes []string
	for _, f := range Check(src, Options{Version: "0.17"}) {
		codes = append(codes, string(f.Code))
	}
	if got := strings.Join(codes, " "); got != "KG201 KG202" {
		t.Errorf("findings without a kb: %s, want KG201 KG202", got)
	}
}

// A missing target in a probe list is a warning when another attach
// point of the probe exists (bpftrace attaches it and skips the rest),
// an error when none does.
func TestProbeListSeverity(t *testing.T) {
	k := hostKBFor(t)
	src, err := os.ReadFile("testdata/probe_lists.bt")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]analysis.Severity{
		"vfs_raed_renamed_in_2030": analysis.Warning,
		"no_such_function_one":     analysis.Error,
		"no_such_function_two":     analysis.Error,
		"sys_enter_opnat":          analysis.Warning,
	}
	seen := 0
	for _, f := range Check(string(src), Options{KB: k, Version: "0.17"}) {
		for name, sev := range want {
			if strings.Contains(f.Message, name+" ") {
				seen++
				if f.Severity != sev {
					t.Errorf("%s: %s %s, want %s", name, f.Severity, f.Message, sev)
				}
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%d of %d findings", seen, len(want))
	}
}
