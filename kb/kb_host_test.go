package kb_test

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

var (
	hostOnce sync.Once
	hostKB   *kb.KB
	hostErr  error
	hostDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if hostDir != "" {
		os.RemoveAll(hostDir)
	}
	os.Exit(code)
}

// host loads the host kb once per test binary, into a private cache so
// tests never depend on what a user cached.
func host(t testing.TB) *kb.KB {
	t.Helper()
	testenv.Require(t, testenv.BTF)
	hostOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kgent-kb-test")
		if err != nil {
			hostErr = err
			return
		}
		hostDir = dir
		hostKB, hostErr = kb.Load(kb.Options{CacheDir: dir})
	})
	if hostErr != nil {
		t.Fatalf("kb.Load: %v", hostErr)
	}
	return hostKB
}

func TestHostHelpers(t *testing.T) {
	k := host(t)
	h, ok := k.Helper("bpf_map_lookup_elem")
	if !ok || h.ID != 1 {
		t.Fatalf("bpf_map_lookup_elem: %+v %v", h, ok)
	}
	if _, ok := k.Helper("bpf_get_current_pid"); ok {
		t.Fatal("invented helper bpf_get_current_pid is known")
	}
	testenv.Require(t, testenv.Headers)
	if h.Func == nil || len(h.Func.Params) != 2 || h.Func.Params[1].Name != "key" {
		t.Fatalf("prototype of bpf_map_lookup_elem from headers: %+v", h.Func)
	}
	if doc := kb.HelperDoc("bpf_map_lookup_elem"); !strings.Contains(doc, "Returns") {
		t.Fatalf("doc from installed header missing: %q", doc)
	}
}

func TestHostHelperProbes(t *testing.T) {
	k := host(t)
	testenv.Require(t, testenv.BPF)
	if !k.Meta.Privileged {
		t.Fatal("kb built as root but probes did not run")
	}
	// bpf_trace_printk is GPL-only; bpf_map_lookup_elem is not.
	if h, _ := k.Helper("bpf_trace_printk"); h.GPLOnly != kb.Yes {
		t.Errorf("bpf_trace_printk GPL-only = %v", h.GPLOnly)
	}
	if h, _ := k.Helper("bpf_map_lookup_elem"); h.GPLOnly != kb.No {
		t.Errorf("bpf_map_lookup_elem GPL-only = %v", h.GPLOnly)
	}
	// DESIGN: bpf_get_stackid is refused in XDP, allowed in tracepoints.
	if got := k.HelperAllowed("bpf_get_stackid", "xdp"); got != kb.No {
		t.Errorf("bpf_get_stackid in xdp = %v, want no", got)
	}
	if got := k.HelperAllowed("bpf_get_stackid", "tracepoint"); got != kb.Yes {
		t.Errorf("bpf_get_stackid in tracepoint = %v, want yes", got)
	}
	if got := k.HelperAllowed("bpf_xdp_adjust_head", "xdp"); got != kb.Yes {
		t.Errorf("bpf_xdp_adjust_head in xdp = %v, want yes", got)
	}
}

func TestHostKfuncsAndFunctions(t *testing.T) {
	k := host(t)
	if k.NumKfuncs() == 0 {
		t.Fatal("no kfuncs tagged bpf_kfunc in BTF")
	}
	if _, ok := k.Kfunc("bpf_task_acquire"); !ok {
		t.Error("bpf_task_acquire is not a kfunc")
	}
	if _, ok := k.Kfunc("bpf_task_acquire_everything"); ok {
		t.Error("invented kfunc is known")
	}
	f, present := k.KernelFunc("tcp_v4_connect")
	if present != kb.Yes || f == nil {
		t.Fatalf("tcp_v4_connect: %v %v", f, present)
	}
	if got := f.Proto(); got != "int tcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)" {
		t.Errorf("prototype %q", got)
	}
	if f.Params[0].Ref != "sock" {
		t.Errorf("param 0 ref %q", f.Params[0].Ref)
	}
	if _, present := k.KernelFunc("tcp_connectx"); present != kb.No {
		t.Errorf("tcp_connectx present = %v", present)
	}
}

func TestHostTracepoints(t *testing.T) {
	k := host(t)
	testenv.Require(t, testenv.Tracefs)
	tp, ok := k.Tracepoint("syscalls", "sys_enter_openat")
	if !ok {
		t.Fatal("syscalls:sys_enter_openat missing")
	}
	if !slices.ContainsFunc(tp.Fields, func(f kb.Field) bool { return f.Name == "filename" && strings.Contains(f.Type, "char") }) {
		t.Errorf("sys_enter_openat fields %+v", tp.Fields)
	}
	if _, ok := k.Tracepoint("syscalls", "sys_enter_opnat"); ok {
		t.Error("invented tracepoint exists")
	}
	if got := k.Nearest(kb.FamilyTracepoint, "syscalls:sys_enter_opnat", 1); len(got) == 0 || got[0] != "syscalls:sys_enter_openat" {
		t.Errorf("nearest tracepoint %v", got)
	}
	if k.RawTracepoint("sched_switch") != kb.Yes || k.RawTracepoint("sched_swtch") != kb.No {
		t.Error("raw tracepoints wrong")
	}
}

func TestHostTypes(t *testing.T) {
	k := host(t)
	task, ok := k.Type("struct", "task_struct")
	if !ok {
		t.Fatal("struct task_struct missing")
	}
	m, ok := k.Member(task, "pid")
	if !ok || m.Type != "pid_t" {
		t.Fatalf("task_struct.pid: %+v", m)
	}
	if _, ok := k.Member(task, "ppid"); ok {
		t.Error("task_struct has no ppid")
	}
	rp, ok := k.Member(task, "real_parent")
	if !ok || rp.Ref != "task_struct" || !rp.Pointer {
		t.Errorf("real_parent: %+v", rp)
	}
	// Members of anonymous unions are found as C finds them.
	sk, _ := k.Type("struct", "sock_common")
	if _, ok := k.Member(sk, "skc_daddr"); !ok {
		t.Error("sock_common.skc_daddr (inside anonymous members) not found")
	}
	if td, ok := k.Type("typedef", "u32"); !ok || td.Target == "" {
		t.Errorf("typedef u32: %+v", td)
	}
}

func TestHostSuggestions(t *testing.T) {
	k := host(t)
	cases := []struct{ family, q, want string }{
		{kb.FamilyHelper, "bpf_probe_read_kernal", "bpf_probe_read_kernel"},
		{kb.FamilyHelper, "bpf_get_current_pid", "bpf_get_current_pid_tgid"},
		{kb.FamilyFunc, "tcp_connectx", "tcp_connect"},
		{kb.FamilyFunc, "tcp_v4_conect", "tcp_v4_connect"},
	}
	for _, c := range cases {
		got := k.Nearest(c.family, c.q, 3)
		if len(got) == 0 || got[0] != c.want {
			t.Errorf("Nearest(%s, %q) = %v, want %s first", c.family, c.q, got, c.want)
		}
	}
}

// TestHostKprobeSupport compares the kb's answer with what the kernel
// really offers: a kprobe needs the kprobe PMU or tracefs kprobe_events.
func TestHostKprobeSupport(t *testing.T) {
	k := host(t)
	_, pmuErr := os.Stat("/sys/bus/event_source/devices/kprobe")
	_, evErr := os.Stat("/sys/kernel/tracing/kprobe_events")
	real := pmuErr == nil || evErr == nil
	got := k.AttachSupport(kb.AttachKprobe)
	if (got.Supported == kb.Yes) != real {
		t.Fatalf("kb says kprobe %v (%s); kernel kprobe PMU/kprobe_events present: %v", got.Supported, got.Reason, real)
	}
	if got.Supported == kb.Unknown {
		t.Fatal("kprobe support unknown on the host")
	}
	if up := k.AttachSupport(kb.AttachUprobe); up.Supported != kb.Yes {
		t.Errorf("uprobe support %v", up)
	}
}

func TestCacheRoundTripAndCorruption(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	dir := t.TempDir()
	k1, err := kb.Load(kb.Options{CacheDir: dir, NoProbe: true})
	if err != nil {
		t.Fatal(err)
	}
	k2, err := kb.Load(kb.Options{CacheDir: dir, NoProbe: true})
	if err != nil {
		t.Fatal(err)
	}
	if k2.Meta.BuiltAt != k1.Meta.BuiltAt || k2.NumFuncs() != k1.NumFuncs() {
		t.Fatal("second load rebuilt instead of reading the cache")
	}
	// Corrupt the cache: Load warns and rebuilds.
	if err := os.WriteFile(filepath.Join(k1.Dir(), kb.DataFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	var warned []string
	k3, err := kb.Load(kb.Options{CacheDir: dir, NoProbe: true, Warn: func(s string) { warned = append(warned, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(warned) == 0 || !strings.Contains(warned[0], "unreadable") || k3.NumFuncs() != k1.NumFuncs() {
		t.Fatalf("corrupt cache: warnings %v", warned)
	}
}

func TestPortableProfileFromBTFFile(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	btfCopy := filepath.Join(t.TempDir(), "prod.btf")
	data, err := os.ReadFile(kb.HostBTF)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(btfCopy, data, 0o644); err != nil {
		t.Fatal(err)
	}
	k, err := kb.Build(kb.BuildOptions{BTFFile: btfCopy})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := k.Save(out, true); err != nil {
		t.Fatal(err)
	}
	p, err := kb.Load(kb.Options{Dir: out})
	if err != nil {
		t.Fatal(err)
	}
	if p.Meta.Source != "btf-file" || p.TracepointsKnown() || p.HasKallsyms() {
		t.Errorf("profile from BTF mixes in host facts: %+v", p.Meta)
	}
	if _, ok := p.Func("tcp_v4_connect"); !ok {
		t.Error("profile lacks BTF functions")
	}
	// Without tracefs and kallsyms, absence is unknown, not no.
	if _, ok := p.Tracepoint("syscalls", "sys_enter_openat"); ok {
		t.Error("profile claims tracefs facts")
	}
	if p.AttachSupport(kb.AttachKprobe).Supported != kb.Unknown {
		t.Error("profile claims kprobe support facts of this host")
	}
	if p.BTFPath() != filepath.Join(out, kb.BTFFile) {
		t.Errorf("BTFPath %q", p.BTFPath())
	}
}

func TestSnapshot(t *testing.T) {
	s, err := kb.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !s.Meta.Reference || s.NumHelpers() == 0 || s.NumFuncs() == 0 {
		t.Fatalf("snapshot: %+v", s.Meta)
	}
}

func BenchmarkBuildHost(b *testing.B) {
	testenv.Require(b, testenv.BTF)
	for b.Loop() {
		if _, err := kb.Build(kb.BuildOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadCached(b *testing.B) {
	k := host(b)
	dir := k.Dir()
	b.ResetTimer()
	for b.Loop() {
		if _, err := kb.LoadDir(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapInuse)/(1<<20), "heapMB")
}

func BenchmarkExactLookup(b *testing.B) {
	k := host(b)
	for b.Loop() {
		if _, ok := k.Func("tcp_v4_connect"); !ok {
			b.Fatal("missing")
		}
	}
}

func BenchmarkNearestFunc(b *testing.B) {
	k := host(b)
	k.Warm()
	b.ResetTimer()
	for b.Loop() {
		if got := k.Nearest(kb.FamilyFunc, "tcp_connectx", 3); len(got) == 0 {
			b.Fatal("no suggestion")
		}
	}
}
