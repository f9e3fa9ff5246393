package kb

import (
	"strings"
	"testing"
)

func TestBpftraceSpecVersionChoice(t *testing.T) {
	newest := BpftraceVersions[len(BpftraceVersions)-1]
	for _, tc := range []struct{ in, want string }{
		{"0.17", "0.17"}, {"0.17.0", "0.17"}, {"0.19", "0.17"}, {"0.25.1", "0.17"},
		{"0.26", "0.26"}, {"0.26.1", "0.26"}, {"0.30", "0.26"}, {"1.2", "0.26"},
		{"", newest}, {"0.9", "0.17"}, {"garbage", "0.17"},
	} {
		if got := BpftraceSpec(tc.in).Version; got != tc.want {
			t.Errorf("BpftraceSpec(%q).Version = %s, want %s", tc.in, got, tc.want)
		}
	}
	if BpftraceSpec("0.17") != BpftraceSpec("0.17.0") {
		t.Error("specs of one version are not shared")
	}
}

func TestBpftraceSpecProbeTypes(t *testing.T) {
	old, cur := BpftraceSpec("0.17"), BpftraceSpec("0.26")
	for _, tc := range []struct {
		name     string
		old, cur string // canonical name, "" when absent
	}{
		{"k", "kprobe", "kprobe"}, {"kr", "kretprobe", "kretprobe"}, {"t", "tracepoint", "tracepoint"},
		{"U", "usdt", "usdt"}, {"rt", "", "rawtracepoint"}, {"rawtracepoint", "", "rawtracepoint"},
		{"fentry", "", "kfunc"}, {"f", "kfunc", "kfunc"}, {"fr", "kretfunc", "kretfunc"},
		{"begin", "", "BEGIN"}, {"BEGIN", "BEGIN", "BEGIN"}, {"aw", "asyncwatchpoint", ""},
		{"self", "", "self"}, {"it", "iter", "iter"}, {"kprobee", "", ""},
	} {
		for _, x := range []struct {
			s    *BTSpec
			want string
		}{{old, tc.old}, {cur, tc.cur}} {
			p, ok := x.s.ProbeType(tc.name)
			got := ""
			if ok {
				got = p.Name
			}
			if got != x.want {
				t.Errorf("%s: ProbeType(%q) = %q, want %q", x.s.Version, tc.name, got, x.want)
			}
		}
	}
	names := strings.Join(old.ProbeTypeNames(), " ")
	if !strings.Contains(names, "uretprobe") || strings.Contains(names, "fentry") {
		t.Errorf("0.17 probe names: %s", names)
	}
}

// The provided builtins of 0.17 were checked against the installed
// bpftrace 0.17 (analysis/bpftrace's TestProvidesMatchesBpftrace runs them).
func TestBpftraceProvides(t *testing.T) {
	s := BpftraceSpec("0.17")
	for _, tc := range []struct {
		probe, builtin string
		want           bool
	}{
		{"kprobe", "arg0", true}, {"kprobe", "args", false}, {"kprobe", "retval", false},
		{"kretprobe", "retval", true}, {"kretprobe", "arg1", false}, {"tracepoint", "args", true},
		{"tracepoint", "arg0", false}, {"tracepoint", "func", false}, {"t", "retval", false},
		{"uprobe", "sarg2", true}, {"tracepoint", "sarg0", false}, {"usdt", "arg3", true},
		{"usdt", "func", false}, {"uretprobe", "func", true}, {"kfunc", "func", false},
		{"kretfunc", "retval", true}, {"profile", "func", false}, {"BEGIN", "arg0", false},
		{"interval", "pid", true}, {"no_such_type", "args", true}, {"kprobe", "argument", true},
	} {
		if got := s.Provides(tc.probe, tc.builtin); got != tc.want {
			t.Errorf("0.17 Provides(%s, %s) = %v, want %v", tc.probe, tc.builtin, got, tc.want)
		}
	}
	n := BpftraceSpec("0.26")
	if !n.Provides("kfunc", "func") || !n.Provides("rawtracepoint", "args") || n.Provides("uprobe", "sarg0") {
		t.Error("0.26: func in kfunc, args in rawtracepoint, no sargN")
	}
}

func TestBpftraceFunctionsAndBuiltins(t *testing.T) {
	old, cur := BpftraceSpec("0.17"), BpftraceSpec("0.26")
	for _, name := range []string{"printf", "hist", "lhist", "strcontains", "override", "count"} {
		if _, ok := old.Function(name); !ok {
			t.Errorf("0.17 lacks %s", name)
		}
	}
	for _, name := range []string{"has_key", "len", "strlen", "tseries"} {
		if _, ok := old.Function(name); ok {
			t.Errorf("0.17 has %s", name)
		}
		if f, ok := cur.Function(name); !ok || f.Desc == "" {
			t.Errorf("0.26 lacks %s or its description", name)
		}
	}
	if f, _ := old.Function("hist"); !f.Agg || f.Min != 1 || f.Max != 2 {
		t.Errorf("hist: %+v", f)
	}
	if f, _ := old.Function("system"); !f.Unsafe || !f.Format {
		t.Errorf("system: %+v", f)
	}
	for _, fn := range old.FunctionNames() {
		if f, _ := old.Function(fn); f.Desc == "" {
			t.Errorf("function %s has no description", fn)
		}
	}
	for _, b := range cur.BuiltinNames() {
		if BuiltinDesc(b) == "" {
			t.Errorf("builtin %s has no description", b)
		}
	}
	for _, tc := range []struct {
		name     string
		old, cur bool
	}{{"pid", true, true}, {"arg12", true, true}, {"sarg0", true, false}, {"ncpus", false, true}, {"ppid", false, true}, {"argx", false, false}, {"execname", false, false}} {
		if old.Builtin(tc.name) != tc.old || cur.Builtin(tc.name) != tc.cur {
			t.Errorf("Builtin(%s): 0.17 %v 0.26 %v, want %v %v", tc.name, old.Builtin(tc.name), cur.Builtin(tc.name), tc.old, tc.cur)
		}
	}
	if !strings.Contains(old.Hint("log2"), "hist") {
		t.Error("log2 hint")
	}
}
