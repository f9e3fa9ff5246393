package kb

import (
	"strings"
	"testing"
)

func TestBpftraceSpecVersionChoice(t *testing.T) {
	newest := BpftraceVersions[len(BpftraceVersions)-1]
	for _, tc := range []struct{ in, want string }{
		{"0.17", "0.17"}, {"0.17.0", "0.17"}, {"0.19", "0.19"}, {"0.23.2", "0.23"}, {"v0.23.2", "0.23"},
		{"0.25.1", "0.25"}, {"0.26", "0.26"}, {"0.27.1", "0.27"}, {"0.30", newest}, {"1.2", newest},
		{"", newest}, {"0.9", "0.17"}, {"garbage", newest},
	} {
		if got := BpftraceSpec(tc.in).Version; got != tc.want {
			t.Errorf("BpftraceSpec(%q).Version = %s, want %s", tc.in, got, tc.want)
		}
	}
	if newest != "0.27" || BpftraceNewest() != newest || len(BpftraceReleases()) != 11 {
		t.Errorf("releases: %v", BpftraceReleases())
	}
	for in, want := range map[string]string{"0.23.2": "0.23", "v0.27.1": "0.27", "0.17": "0.17", "": ""} {
		if got := BpftraceMajorMinor(in); got != want {
			t.Errorf("BpftraceMajorMinor(%q) = %q, want %q", in, got, want)
		}
	}
	if !BpftraceKnown("v0.23.2") || BpftraceKnown("0.16") || BpftraceKnown("x") {
		t.Error("BpftraceKnown")
	}
	if BpftraceSpec("0.17") != BpftraceSpec("0.17.0") {
		t.Error("specs of one version are not shared")
	}
}

func TestBpftraceSpecProbeTypes(t *testing.T) {
	old, cur := BpftraceSpec("0.17"), BpftraceSpec("0.27")
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
	n := BpftraceSpec("0.27")
	if !n.Provides("kfunc", "func") || !n.Provides("rawtracepoint", "args") || n.Provides("uprobe", "sarg0") {
		t.Error("0.26: func in kfunc, args in rawtracepoint, no sargN")
	}
}

func TestBpftraceFunctionsAndBuiltins(t *testing.T) {
	old, cur := BpftraceSpec("0.17"), BpftraceSpec("0.27")
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
			t.Errorf("0.27 lacks %s or its description", name)
		}
	}
	// hist(x, bits) came with 0.20; the real 0.17 refuses a second argument.
	if f, _ := old.Function("hist"); !f.Agg || f.Min != 1 || f.Max != 1 {
		t.Errorf("0.17 hist: %+v", f)
	}
	if f, _ := BpftraceSpec("0.20").Function("hist"); f.Max != 2 {
		t.Errorf("0.20 hist: %+v", f)
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
			t.Errorf("Builtin(%s): 0.17 %v 0.27 %v, want %v %v", tc.name, old.Builtin(tc.name), cur.Builtin(tc.name), tc.old, tc.cur)
		}
	}
	if !strings.Contains(old.Hint("log2"), "hist") {
		t.Error("log2 hint")
	}
}

// The releases the issue found wrong, as bpftrace's changelog and the real
// binaries (0.17, 0.23.2, 0.27.1) give them: each name is absent from the
// release before and present from its release on.
func TestBpftraceIntroducedIn(t *testing.T) {
	prev := func(v string) string {
		for i, k := range BpftraceVersions {
			if k == v && i > 0 {
				return BpftraceVersions[i-1]
			}
		}
		return ""
	}
	for name, since := range map[string]string{"has_key": "0.22", "len": "0.20", "nsecs": "0.19", "percpu_kaddr": "0.22",
		"errorf": "0.24", "pid": "0.24", "tid": "0.24", "offsetof": "0.18", "strlen": "0.25", "str_concat": "0.27"} {
		if _, ok := BpftraceSpec(since).Function(name); !ok {
			t.Errorf("%s: not in %s", name, since)
		}
		if _, ok := BpftraceSpec(prev(since)).Function(name); ok {
			t.Errorf("%s: already in %s", name, prev(since))
		}
	}
	if _, ok := BpftraceSpec("0.17").Function("strerror"); !ok {
		t.Error("strerror is in 0.17")
	}
	if _, ok := BpftraceSpec("0.22").ProbeType("self"); !ok {
		t.Error("self probes are in 0.22")
	}
	if _, ok := BpftraceSpec("0.21").ProbeType("self"); ok {
		t.Error("self probes are not in 0.21")
	}
	if _, ok := BpftraceSpec("0.25").ProbeType("asyncwatchpoint"); ok {
		t.Error("asyncwatchpoint is gone in 0.25")
	}
	// Arity by release: exit(code) from 0.21, delete(@m, key) from 0.22.
	for _, tc := range []struct {
		v, name  string
		min, max int
	}{{"0.17", "exit", 0, 0}, {"0.21", "exit", 0, 1}, {"0.17", "delete", 1, 1}, {"0.21", "delete", 1, -1}, {"0.22", "delete", 1, 2}, {"0.27", "delete", 1, 2}} {
		f, _ := BpftraceSpec(tc.v).Function(tc.name)
		if f.Min != tc.min || f.Max != tc.max {
			t.Errorf("%s %s: arity %d..%d, want %d..%d", tc.v, tc.name, f.Min, f.Max, tc.min, tc.max)
		}
	}
}

func TestBpftraceConfigKeys(t *testing.T) {
	for _, tc := range []struct {
		v, key string
		ok     bool
	}{{"0.20", "max_map_keys", true}, {"0.20", "missing_probes", false}, {"0.21", "missing_probes", true},
		{"0.23", "symbol_source", true}, {"0.21", "symbol_source", false}, {"0.23", "license", false},
		{"0.27", "BPFTRACE_MAX_STRLEN", true}, {"0.27", "no_such_key", false}, {"0.24", "unstable_macro", true}} {
		if ok, _ := BpftraceConfigKey(tc.v, tc.key); ok != tc.ok {
			t.Errorf("%s config %s: %v, want %v", tc.v, tc.key, ok, tc.ok)
		}
	}
	if len(BpftraceConfigKeys("0.17")) != 0 || len(BpftraceConfigKeys("0.27")) < 15 {
		t.Error("config keys per release")
	}
}

func TestBpftraceDocByRelease(t *testing.T) {
	for _, tc := range []struct{ v, name, want string }{
		{"0.23", "has_key", "has_key(@map, key) -> int"}, {"0.27", "has_key", "-> bool"},
		{"0.17", "has_key", "new in bpftrace 0.22 (checking against 0.17)"},
		{"0.17", "args", "args->FIELD"}, {"0.23", "args", "args.FIELD"},
		{"0.27", "sarg0", "removed in bpftrace 0.25"}, {"0.23", "sarg0", "deprecated"},
		{"0.21", "delete", "several maps"}, {"0.22", "pid", "uint32"},
	} {
		if got := BpftraceSpec(tc.v).Doc(tc.name); !strings.Contains(got, tc.want) {
			t.Errorf("%s Doc(%s) = %q, want it to hold %q", tc.v, tc.name, got, tc.want)
		}
	}
	if n := BpftraceSpec("0.17").Notes("pid"); len(n) != 0 {
		t.Errorf("0.17 pid notes %q", n)
	}
	if n := BpftraceSpec("0.23").Notes("pid"); len(n) != 1 || !strings.Contains(n[0], "uint32") {
		t.Errorf("0.23 pid notes %q", n)
	}
	s := BpftraceSpec("0.27")
	for _, n := range s.FunctionNames() {
		if d := s.Doc(n); !strings.Contains(d, "bpftrace 0.27") {
			t.Errorf("Doc(%s) = %q", n, d)
		}
	}
}
