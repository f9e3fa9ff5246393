package kb_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// The kernels scripts/kernels.sh caches, with facts each was checked for
// by hand against its BTF (bpftool btf dump of the profile's vmlinux.btf)
// and config before they were written here.
type kernelFacts struct {
	name string
	line string // the kernel line the suite carries; "" for sid's newest
	// helpers, types, kfuncs, functions, tracepoints
	loop, state, underState, taskFromPid, cacheAlloc, cacheAllocNoprof, kmallocNode bool
	// CONFIG_FPROBE (kprobe_multi) is set; BPF_TRACE_KPROBE_MULTI exists from 5.18
	fprobe bool
	// kfuncs come from decl tags (6.5+) or, before, from .BTF_ids sets
	kfuncTags bool
}

var debianKernels = []kernelFacts{
	{name: "debian-5.10", line: "5.10", state: true, cacheAlloc: true, kmallocNode: true},
	{name: "debian-6.1", line: "6.1", loop: true, underState: true, cacheAlloc: true},
	{name: "debian-6.12", line: "6.12", loop: true, underState: true, taskFromPid: true, cacheAllocNoprof: true, fprobe: true, kfuncTags: true},
	{name: "debian-sid", loop: true, underState: true, taskFromPid: true, cacheAllocNoprof: true, fprobe: true, kfuncTags: true},
}

var (
	imageMu  sync.Mutex
	imageKBs = map[string]*kb.KB{}
)

// kernelFiles finds a cached kernel, or skips (fails under
// KGENT_REQUIRE_BPF=1) when scripts/kernels.sh has not fetched it.
func kernelFiles(t testing.TB, name string) kb.ImageOptions {
	t.Helper()
	o, err := kb.FindKernel(name)
	if err != nil {
		testenv.Skip(t, "kernel %s is not cached (scripts/setup.sh runs scripts/kernels.sh): %v", name, err)
	}
	return o
}

// imageKB builds (once per test binary) the profile of a cached kernel.
func imageKB(t testing.TB, name string) *kb.KB {
	t.Helper()
	o := kernelFiles(t, name)
	imageMu.Lock()
	defer imageMu.Unlock()
	if k, ok := imageKBs[name]; ok {
		return k
	}
	k, err := kb.BuildImage(o)
	if err != nil {
		t.Fatalf("building %s from %s: %v", name, o.Image, err)
	}
	imageKBs[name] = k
	return k
}

func yes(b bool) kb.Tri {
	if b {
		return kb.Yes
	}
	return kb.No
}

func TestImageProfileFacts(t *testing.T) {
	for _, kf := range debianKernels {
		t.Run(kf.name, func(t *testing.T) {
			k := imageKB(t, kf.name)
			if _, ok := k.Helper("bpf_loop"); ok != kf.loop {
				t.Errorf("helper bpf_loop present = %v, want %v", ok, kf.loop)
			}
			if _, ok := k.Helper("bpf_map_lookup_elem"); !ok {
				t.Error("helper bpf_map_lookup_elem missing")
			}
			ts, ok := k.Type("struct", "task_struct")
			if !ok {
				t.Fatal("no struct task_struct")
			}
			if _, ok := k.Member(ts, "state"); ok != kf.state {
				t.Errorf("task_struct.state present = %v, want %v", ok, kf.state)
			}
			if _, ok := k.Member(ts, "__state"); ok != kf.underState {
				t.Errorf("task_struct.__state present = %v, want %v", ok, kf.underState)
			}
			if _, ok := k.Kfunc("bpf_task_from_pid"); ok != kf.taskFromPid {
				t.Errorf("kfunc bpf_task_from_pid present = %v, want %v", ok, kf.taskFromPid)
			}
			for fn, want := range map[string]bool{"kmem_cache_alloc": kf.cacheAlloc, "kmem_cache_alloc_noprof": kf.cacheAllocNoprof} {
				if _, got := k.KernelFunc(fn); got != yes(want) {
					t.Errorf("kernel function %s = %v, want %v", fn, got, yes(want))
				}
				if got := k.Traceable(fn); got != yes(want) {
					t.Errorf("traceable %s = %v, want %v", fn, got, yes(want))
				}
			}
			if _, ok := k.Tracepoint("kmem", "kmalloc_node"); ok != kf.kmallocNode {
				t.Errorf("tracepoint kmem:kmalloc_node present = %v, want %v", ok, kf.kmallocNode)
			}
			if got := k.RawTracepoint("kmalloc_node"); got != yes(kf.kmallocNode) {
				t.Errorf("raw tracepoint kmalloc_node = %v, want %v", got, yes(kf.kmallocNode))
			}
			// xfs is a module in Debian's kernels: its functions exist
			// when it loads, though vmlinux does not have them.
			if o := kernelFiles(t, kf.name); o.ModuleSymbols == "" {
				t.Errorf("%s has no modules.syms: scripts/kernels.sh writes it (a cache from before it did is fetched again)", filepath.Dir(o.Image))
			}
			if mods := k.ModuleOf("xfs_file_read_iter"); len(mods) != 1 || mods[0] != "xfs" {
				t.Errorf("xfs_file_read_iter is in modules %v, want [xfs]", mods)
			}
			if _, got := k.KernelFunc("xfs_file_read_iter"); got != kb.Yes {
				t.Errorf("kernel function xfs_file_read_iter (module xfs) = %v, want yes", got)
			}
			if mods := k.ModuleOf("vfs_read"); len(mods) != 0 {
				t.Errorf("vfs_read, a vmlinux function, is in modules %v", mods)
			}
			if _, got := k.KernelFunc("xfs_no_such_function_at_all"); got != kb.No {
				t.Errorf("a function no module has = %v, want no", got)
			}
			if _, ok := k.Tracepoint("kmem", "kmalloc"); !ok {
				t.Error("tracepoint kmem:kmalloc missing")
			}
			if v, got := k.Config("CONFIG_BPF_LSM"); got != kb.Yes || v != "y" {
				t.Errorf("CONFIG_BPF_LSM = %q %v, want y", v, got)
			}
			if _, got := k.Config("CONFIG_NO_SUCH_OPTION"); got != kb.No {
				t.Errorf("an option the config lacks = %v, want no", got)
			}
			if s := k.AttachSupport(kb.AttachLSM); s.Supported != kb.Yes {
				t.Errorf("lsm attach = %+v, want yes", s)
			}
			if s := k.AttachSupport(kb.AttachKprobeMulti); s.Supported != yes(kf.fprobe) {
				t.Errorf("kprobe_multi attach = %+v, want %v", s, yes(kf.fprobe))
			}
			if got := k.HelperAllowed("bpf_map_lookup_elem", "kprobe"); got != kb.Unknown {
				t.Errorf("helper availability per program type = %v; nothing was probed, want unknown", got)
			}
			tagged := k.Meta.Sources["kfuncs"] == kb.FromBTF+": bpf_kfunc decl tags"
			if tagged != kf.kfuncTags {
				t.Errorf("kfuncs source %q, want decl tags = %v", k.Meta.Sources["kfuncs"], kf.kfuncTags)
			}
			// Another kernel: checks and the verifier must not take it for this machine's.
			if k.Meta.Source != "btf-file" || k.Meta.Machine != "x86_64" || !strings.Contains(k.Meta.Sources["image"], kf.name) {
				t.Errorf("source %q (%q) machine %q, want btf-file from the image, x86_64", k.Meta.Source, k.Meta.Sources["image"], k.Meta.Machine)
			}
			for _, fam := range []string{"kallsyms", "traceable", "tracepoints", "kfuncs", "config", "attach", "helper_availability", "release", "module_functions"} {
				if k.Meta.Sources[fam] == "" || strings.HasPrefix(k.Meta.Sources[fam], "unavailable") {
					t.Errorf("Meta.Sources[%s] = %q", fam, k.Meta.Sources[fam])
				}
			}
		})
	}
}

// 6.1 has kfuncs but no decl tags: they come from the .BTF_ids sets.
func TestImageKfuncsFromBTFIDs(t *testing.T) {
	k61 := imageKB(t, "debian-6.1")
	for _, name := range []string{"bpf_lookup_user_key", "bpf_key_put", "crash_kexec", "cgroup_rstat_flush", "tcp_reno_ssthresh"} {
		if _, ok := k61.Kfunc(name); !ok {
			t.Errorf("6.1: kfunc %s missing (sources: %s)", name, k61.Meta.Sources["kfuncs"])
		}
	}
	// A function that is no kfunc is not taken for one.
	for _, name := range []string{"kmem_cache_alloc", "vfs_read", "schedule"} {
		if _, ok := k61.Kfunc(name); ok {
			t.Errorf("6.1: %s taken for a kfunc", name)
		}
	}
	k510 := imageKB(t, "debian-5.10")
	if n := k510.NumKfuncs(); n != 0 {
		t.Errorf("5.10 has no kfunc sets in vmlinux, got %d kfuncs", n)
	}
}

// The release comes from the image; the file and package names say it too.
func TestImageProfileRelease(t *testing.T) {
	for _, kf := range debianKernels {
		t.Run(kf.name, func(t *testing.T) {
			o := kernelFiles(t, kf.name)
			k := imageKB(t, kf.name)
			if want := strings.TrimPrefix(filepath.Base(o.Image), "vmlinuz-"); k.Meta.Kernel != want {
				t.Errorf("release %q, the file name says %q", k.Meta.Kernel, want)
			}
			if pkg, err := os.ReadFile(filepath.Join(filepath.Dir(o.Image), "PACKAGE")); err == nil && !strings.Contains(string(pkg), k.Meta.Kernel) {
				t.Errorf("release %q is not in the package name %q", k.Meta.Kernel, pkg)
			}
			v, ok := k.Version()
			if !ok {
				t.Fatalf("no version from %q / %q", k.Meta.Kernel, k.Meta.Version)
			}
			if kf.line != "" {
				if got := strings.Join(strings.Split(v.String(), ".")[:2], "."); got != kf.line {
					t.Errorf("version %v (Meta.Version %q), want the %s line", v, k.Meta.Version, kf.line)
				}
				if v.Patch == 0 {
					t.Errorf("version %v: the banner's upstream patch level was not read (Meta.Version %q)", v, k.Meta.Version)
				}
			} else if v.Less(kb.KernelVersion{Major: 6, Minor: 13}) {
				t.Errorf("sid's newest kernel is %v, older than trixie's 6.12", v)
			}
			// "added in" comparisons
			if v.AtLeast(5, 17) != kf.loop {
				t.Errorf("%v AtLeast(5.17) = %v, but bpf_loop (5.17) present = %v", v, v.AtLeast(5, 17), kf.loop)
			}
		})
	}
}

func TestImageTracepointFields(t *testing.T) {
	type f struct {
		name, typ    string
		offset, size int
	}
	// As tracefs formats them (offsets include the 8-byte common header).
	sw := []f{{"prev_comm", "char[16]", 8, 16}, {"prev_pid", "pid_t", 24, 4}, {"prev_prio", "int", 28, 4}, {"prev_state", "long", 32, 8},
		{"next_comm", "char[16]", 40, 16}, {"next_pid", "pid_t", 56, 4}, {"next_prio", "int", 60, 4}}
	openat := []f{{"__syscall_nr", "int", 8, 4}, {"dfd", "int", 16, 8}, {"filename", "const char *", 24, 8}, {"flags", "int", 32, 8}, {"mode", "umode_t", 40, 8}}
	for _, kf := range debianKernels {
		t.Run(kf.name, func(t *testing.T) {
			k := imageKB(t, kf.name)
			for _, c := range []struct {
				cat, name string
				want      []f
			}{{"sched", "sched_switch", sw}, {"syscalls", "sys_enter_openat", openat}} {
				tp, ok := k.Tracepoint(c.cat, c.name)
				if !ok {
					t.Errorf("%s:%s missing", c.cat, c.name)
					continue
				}
				if len(tp.Fields) != len(c.want) {
					t.Errorf("%s:%s fields %+v, want %+v", c.cat, c.name, tp.Fields, c.want)
					continue
				}
				for i, w := range c.want {
					g := tp.Fields[i]
					if g.Name != w.name || g.Type != w.typ || g.Offset != w.offset || g.Size != w.size {
						t.Errorf("%s:%s field %d = %+v, want %+v", c.cat, c.name, i, g, w)
					}
				}
			}
			// Categories come from the image's event classes; every
			// event of a class with a BTF struct is a raw tracepoint too.
			n, raw := 0, 0
			cats := map[string]bool{}
			for tp := range k.Tracepoints() {
				cats[tp.Category] = true
				if tp.Category == "syscalls" {
					continue
				}
				n++
				if k.RawTracepoint(tp.Name) == kb.Yes {
					raw++
				}
			}
			if n < 500 || raw < n*95/100 {
				t.Errorf("%d of %d tracepoints are raw tracepoints too", raw, n)
			}
			for _, c := range []string{"sched", "kmem", "syscalls", "block", "irq", "net", "sock", "tcp", "signal", "timer"} {
				if !cats[c] {
					t.Errorf("no tracepoint category %s", c)
				}
			}
		})
	}
}

// Named profiles are saved in and opened from the kb cache.
func TestImageNamedProfiles(t *testing.T) {
	k := imageKB(t, "debian-6.12")
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	if ps, err := kb.Profiles(); err != nil || len(ps) != 0 {
		t.Fatalf("empty cache lists %v, %v", ps, err)
	}
	dir, err := kb.SaveProfile(k, "trixie")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, kb.BTFFile)); err != nil {
		t.Errorf("the profile has no BTF for vmlinux.h: %v", err)
	}
	p, err := kb.OpenProfile("trixie")
	if err != nil {
		t.Fatal(err)
	}
	if p.Meta.Name != "trixie" || p.Meta.Kernel != k.Meta.Kernel || p.Meta.Version != k.Meta.Version || p.NumTracepoints() != k.NumTracepoints() ||
		p.NumKfuncs() != k.NumKfuncs() || p.NumTraceable() != k.NumTraceable() || !p.Mapped() {
		t.Errorf("reopened profile differs: %+v", p.Meta)
	}
	if v, ok := p.Config("CONFIG_BPF_LSM"); ok != kb.Yes || v != "y" {
		t.Errorf("reopened config lost CONFIG_BPF_LSM: %q %v", v, ok)
	}
	if in := p.Info(); in.Name != "trixie" || in.Version != k.Meta.Version || in.Counts["module_functions"] != k.NumModuleFuncs() ||
		in.Counts["module_functions"] == 0 || in.Counts["traceable"] == 0 || in.Counts["config"] == 0 {
		t.Errorf("kb info of the profile: %+v", in)
	}
	if err := p.Verify(); err != nil {
		t.Error(err)
	}
	ps, err := kb.Profiles()
	if err != nil || len(ps) != 1 || ps[0].Name != "trixie" || ps[0].Kernel != k.Meta.Kernel || ps[0].Error != "" || ps[0].BuiltAt == "" {
		t.Errorf("Profiles() = %+v, %v", ps, err)
	}
	if _, err := kb.OpenProfile("nope"); err == nil || !strings.Contains(err.Error(), "no kernel profile named nope") {
		t.Errorf("missing profile: %v", err)
	}
	for _, bad := range []string{"", "host", "../x", "a/b", ".hidden", strings.Repeat("x", 80)} {
		if _, err := kb.SaveProfile(k, bad); err == nil {
			t.Errorf("profile name %q accepted", bad)
		}
		if _, err := kb.OpenProfile(bad); err == nil {
			t.Errorf("profile name %q opened", bad)
		}
	}
	// A profile of another kb schema is built again from its image.
	data := filepath.Join(dir, kb.DataFile)
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(b[8:], kb.SchemaVersion-1)
	if err := os.WriteFile(data, b, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = kb.OpenProfile("trixie")
	if err != nil || !strings.Contains(p.Meta.Sources["rebuilt"], "rebuilt") || p.Meta.BTFSHA256 != k.Meta.BTFSHA256 {
		t.Fatalf("old-schema profile: %v (%q)", err, p.Meta.Sources["rebuilt"])
	}
	if p, err = kb.OpenProfile("trixie"); err != nil || p.Meta.Sources["rebuilt"] != "" {
		t.Errorf("the rebuilt profile was not saved: %v", err)
	}
	// Without a record of its source, a profile named after a cached
	// kernel is built from it; any other, the error says how to rebuild.
	if err := os.Remove(filepath.Join(dir, "source.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := kb.OpenProfile("trixie"); err == nil || !strings.Contains(err.Error(), "kgent kb build") {
		t.Errorf("old-schema profile without its source: %v", err)
	}
	named := filepath.Join(kb.ProfilesDir(), "debian-6.12")
	if err := os.MkdirAll(named, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(named, kb.DataFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := kb.OpenProfile("debian-6.12"); err != nil || p.Meta.Sources["rebuilt"] == "" || p.Meta.BTFSHA256 != k.Meta.BTFSHA256 {
		t.Errorf("old-schema profile of a cached kernel: %v", err)
	}
	if err := os.WriteFile(data, []byte("KGENTKB\x00garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A damaged profile is listed with the reason, not dropped or fatal.
	ps, err = kb.Profiles()
	if err != nil || len(ps) != 2 || ps[0].Name != "debian-6.12" || ps[0].Error != "" || ps[1].Error == "" {
		t.Errorf("damaged profile listed as %+v, %v", ps, err)
	}
}

// The Go xz decoder (x86 branch filter included) gives what xz gives.
func TestImageXZDecoder(t *testing.T) {
	testenv.Require(t, testenv.Requirement("xz"))
	o := kernelFiles(t, "debian-6.1")
	b, err := os.ReadFile(o.Image)
	if err != nil {
		t.Fatal(err)
	}
	p, comp, err := kb.ImagePayload(b)
	if err != nil || comp != "xz" {
		t.Fatalf("payload %s, %v; want xz", comp, err)
	}
	want, ok := kb.XZDecompressCommand(p)
	if !ok {
		t.Fatal("xz did not decompress the payload")
	}
	got, err := kb.XZDecompressGo(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		n := 0
		for n < min(len(got), len(want)) && got[n] == want[n] {
			n++
		}
		t.Errorf("Go decoder: %d bytes, xz: %d bytes, first difference at %d", len(got), len(want), n)
	}
}

// Damaged and foreign input is an error, never a crash.
func TestImageBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := map[string]string{
		write("empty", nil):                         "not a kernel image",
		write("text", []byte("hello\n")):            "not a kernel image",
		write("elf", []byte("\x7fELF\x02\x01\x01")): "ELF",
		dir:                           "",
		filepath.Join(dir, "missing"): "",
	}
	for _, kf := range []string{"debian-6.1", "debian-6.12"} {
		o, err := kb.FindKernel(kf)
		if err != nil {
			continue
		}
		b, err := os.ReadFile(o.Image)
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := kb.ImagePayload(b)
		if err != nil {
			t.Fatal(err)
		}
		end := bytes.Index(b, p[:64]) + len(p)
		for _, cut := range []int{0x300, len(b) / 3, end - 64} {
			cases[write(kf+"-cut", b[:cut])] = ""
			if _, err := kb.BuildImage(kb.ImageOptions{Image: filepath.Join(dir, kf+"-cut")}); err == nil {
				t.Errorf("%s cut at %d: no error", kf, cut)
			}
		}
		// A payload of an unsupported compression names it.
		c := bytes.Clone(b)
		copy(c[end-len(p):], []byte{0x02, 0x21, 0x4c, 0x18})
		cases[write(kf+"-lz4", c)] = "lz4"
	}
	for path, want := range cases {
		_, err := kb.BuildImage(kb.ImageOptions{Image: path})
		if err == nil {
			t.Errorf("%s: no error", path)
		} else if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want it to say %q", path, err, want)
		}
	}
}

// BenchmarkImageProfile builds a profile from a cached kernel package's
// image (the budget: 3 s). cpu-ms/op is the CPU the build used,
// its own and its xz child's, which a machine shared with other work
// does not inflate as it does the wall time.
func BenchmarkImageProfile(b *testing.B) {
	cpu := func() time.Duration {
		var self, kids syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
		_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
		tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
		return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
	}
	for _, name := range []string{"debian-5.10", "debian-6.1", "debian-6.12", "debian-sid"} {
		b.Run(name, func(b *testing.B) {
			o := kernelFiles(b, name)
			start := cpu()
			for b.Loop() {
				if _, err := kb.BuildImage(o); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpu()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// The host kb records the running kernel's config where the kernel
// publishes it, the same way an image's profile does, and says so when it
// does not.
func TestHostProfileConfig(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	k, err := kb.Build(kb.BuildOptions{NoProbe: true})
	if err != nil {
		t.Fatal(err)
	}
	src := k.Meta.Sources["config"]
	want := ""
	if _, err := os.Stat("/proc/config.gz"); err == nil {
		want = "/proc/config.gz"
	} else if p := "/boot/config-" + k.Meta.Kernel; fileExists(p) {
		want = p
	}
	switch {
	case want == "" && (k.HasConfig() || !strings.HasPrefix(src, "unavailable")):
		t.Errorf("no config published, yet the kb has one (%q)", src)
	case want != "" && (!k.HasConfig() || src != want):
		t.Errorf("config from %q, want it from %s", src, want)
	case want != "":
		// BTF needs CONFIG_DEBUG_INFO_BTF: the running kernel has it.
		if v, ok := k.Config("CONFIG_DEBUG_INFO_BTF"); ok != kb.Yes || v != "y" {
			t.Errorf("CONFIG_DEBUG_INFO_BTF = %q %v on a kernel with BTF", v, ok)
		}
	}
	if src := k.Meta.Sources["traceable"]; (k.NumTraceable() > 0) == strings.HasPrefix(src, "unavailable") {
		t.Errorf("%d traceable functions, source %q", k.NumTraceable(), src)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// The fields an image profile derives from BTF are the ones tracefs
// reports, checked on the running kernel where both exist.
func TestImageFieldsMatchTracefs(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	fields, err := kb.BTFTracepointFields(kb.HostBTF)
	if err != nil {
		t.Fatal(err)
	}
	n, typeDiff := 0, 0
	for tp := range k.Tracepoints() {
		got, ok := fields(tp.Name)
		if !ok || tp.Struct != "trace_event_raw_"+tp.Name {
			continue
		}
		n++
		if len(got) != len(tp.Fields) {
			t.Errorf("%s:%s: %d fields from BTF, tracefs has %d: %+v vs %+v", tp.Category, tp.Name, len(got), len(tp.Fields), got, tp.Fields)
			continue
		}
		for i, w := range tp.Fields {
			g := got[i]
			if g.Name != w.Name || g.Offset != w.Offset || g.Size != w.Size || g.Signed != w.Signed {
				t.Errorf("%s:%s field %d: BTF %+v, tracefs %+v", tp.Category, tp.Name, i, g, w)
			} else if g.Type != w.Type {
				typeDiff++
				if typeDiff <= 20 {
					t.Logf("%s:%s %s: BTF spells %q, tracefs %q", tp.Category, tp.Name, w.Name, g.Type, w.Type)
				}
			}
		}
	}
	if n < 300 {
		t.Errorf("only %d tracepoints compared", n)
	}
	// Where the source says "unsigned" or a typedef BTF resolved, the
	// spelling differs; the type is the same.
	if typeDiff > n/10 {
		t.Errorf("%d field types spelled differently in %d tracepoints", typeDiff, n)
	}
	t.Logf("%d tracepoints compared, %d field types spelled differently", n, typeDiff)
}

// The categories an image profile reads from the kernel's event classes
// are the ones tracefs shows on the running kernel, for the events both
// kernels have; syscall records are laid out alike.
func TestImageCategoriesMatchHost(t *testing.T) {
	host := testenv.HostKB(t, testenv.Tracefs)
	hostCat := map[string][]string{}
	for cat, name := range host.TracepointNames() {
		hostCat[name] = append(hostCat[name], cat)
	}
	for _, name := range []string{"debian-6.12", "debian-sid"} {
		t.Run(name, func(t *testing.T) {
			k := imageKB(t, name)
			both, same, sysSame, sysBoth := 0, 0, 0, 0
			for tp := range k.Tracepoints() {
				cats := hostCat[tp.Name]
				if len(cats) != 1 {
					continue
				}
				both++
				if cats[0] != tp.Category {
					t.Logf("%s: image says %s, tracefs %s", tp.Name, tp.Category, cats[0])
					continue
				}
				same++
				if tp.Category != "syscalls" {
					continue
				}
				h, _ := host.Tracepoint("syscalls", tp.Name)
				sysBoth++
				if len(h.Fields) == len(tp.Fields) && fmtFields(h.Fields) == fmtFields(tp.Fields) {
					sysSame++
				} else if sysBoth-sysSame <= 5 {
					t.Logf("%s: image %s, tracefs %s", tp.Name, fmtFields(tp.Fields), fmtFields(h.Fields))
				}
			}
			if both < 1000 || same < both*99/100 {
				t.Errorf("%d of %d shared tracepoints have tracefs's category", same, both)
			}
			if sysBoth < 500 || sysSame < sysBoth*95/100 {
				t.Errorf("%d of %d shared syscall tracepoints have tracefs's fields", sysSame, sysBoth)
			}
			t.Logf("%d of %d shared tracepoints agree on the category; %d of %d syscall records agree", same, both, sysSame, sysBoth)
		})
	}
}

func fmtFields(fs []kb.Field) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Type + " " + f.Name + "@" + strconv.Itoa(f.Offset) + "/" + strconv.Itoa(f.Size) + ";")
	}
	return b.String()
}

// makeDeb builds a real .deb with dpkg-deb holding files (path in the
// package -> file to copy), data.tar compressed with comp.
func makeDeb(t *testing.T, name, comp string, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "DEBIAN"), 0o755); err != nil {
		t.Fatal(err)
	}
	control := "Package: " + name + "\nVersion: 1\nArchitecture: amd64\nMaintainer: kgent tests <tests@invalid>\nDescription: test\n"
	if err := os.WriteFile(filepath.Join(root, "DEBIAN", "control"), []byte(control), 0o644); err != nil {
		t.Fatal(err)
	}
	for dst, src := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(root, dst)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), name+".deb")
	if b, err := exec.Command("dpkg-deb", "--root-owner-group", "-Z"+comp, "-z1", "-b", root, out).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v: %s", err, b)
	}
	return out
}

// module compiles a stand-in kernel module (an object file defining
// kgent_module_fn), xz-compressed as Debian ships modules when compressed.
func module(t *testing.T, compressed bool) string {
	dir := t.TempDir()
	src := filepath.Join(dir, "kgmod.c")
	if err := os.WriteFile(src, []byte("int kgent_module_fn(int x) { return x + 1; }\nstatic int kgent_local_fn(void) { return 0; }\nint (*keep)(void) = kgent_local_fn;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	obj := filepath.Join(dir, "kgmod.ko")
	if b, err := exec.Command("clang", "-c", "-O1", "-o", obj, src).CombinedOutput(); err != nil {
		t.Fatalf("clang: %v: %s", err, b)
	}
	if !compressed {
		return obj
	}
	if b, err := exec.Command("xz", "--check=crc32", obj).CombinedOutput(); err != nil {
		t.Fatalf("xz: %v: %s", err, b)
	}
	return obj + ".xz"
}

// A profile from kernel packages equals the one from their files, and
// knows the functions of the modules they hold.
func TestImageFromPackages(t *testing.T) {
	testenv.Require(t, testenv.Requirement("dpkg-deb"), testenv.Clang, testenv.Requirement("xz"))
	for _, c := range []struct {
		kernel string
		split  bool // newer layout: image and config in two packages
		comp   []string
	}{{"debian-6.1", false, []string{"xz"}}, {"debian-sid", true, []string{"zstd", "gzip"}}} {
		t.Run(c.kernel, func(t *testing.T) {
			o := kernelFiles(t, c.kernel)
			want := imageKB(t, c.kernel)
			rel := strings.TrimPrefix(filepath.Base(o.Image), "vmlinuz-")
			mod := module(t, c.split)
			var debs []string
			if c.split {
				dir := "usr/lib/modules/" + rel + "/"
				debs = append(debs, makeDeb(t, "linux-binary-test", c.comp[0], map[string]string{dir + "vmlinuz": o.Image}),
					makeDeb(t, "linux-base-test", c.comp[1], map[string]string{dir + "config": o.Config, dir + "System.map": o.SystemMap}),
					makeDeb(t, "linux-modules-test", c.comp[1], map[string]string{dir + "kernel/fs/kgmod/" + filepath.Base(mod): mod}))
			} else {
				debs = append(debs, makeDeb(t, "linux-image-test", c.comp[0], map[string]string{
					"boot/vmlinuz-" + rel: o.Image, "boot/config-" + rel: o.Config, "boot/System.map-" + rel: o.SystemMap,
					"lib/modules/" + rel + "/kernel/fs/kgmod/" + filepath.Base(mod): mod,
					"usr/share/doc/linux-image-test/changelog":                      o.Config}))
			}
			k, err := kb.BuildImage(kb.ImageOptions{Packages: debs})
			if err != nil {
				t.Fatal(err)
			}
			if mods := k.ModuleOf("kgent_module_fn"); len(mods) != 1 || mods[0] != "kgmod" {
				t.Errorf("the package's module function is in modules %v, want [kgmod] (%s)", mods, k.Meta.Sources["module_functions"])
			}
			if k.Meta.Kernel != want.Meta.Kernel || k.Meta.BTFSHA256 != want.Meta.BTFSHA256 || k.NumTracepoints() != want.NumTracepoints() ||
				k.NumKfuncs() != want.NumKfuncs() || k.NumKallsyms() != want.NumKallsyms() || !k.HasConfig() {
				t.Errorf("from packages: %s %d tracepoints %d kfuncs %d symbols config %v; from files: %s %d %d %d",
					k.Meta.Kernel, k.NumTracepoints(), k.NumKfuncs(), k.NumKallsyms(), k.HasConfig(), want.Meta.Kernel, want.NumTracepoints(), want.NumKfuncs(), want.NumKallsyms())
			}
			if !strings.Contains(k.Meta.Sources["image"], debs[0]+":") || !strings.Contains(k.Meta.Sources["config"], ".deb:") {
				t.Errorf("sources do not name the packages: %q, %q", k.Meta.Sources["image"], k.Meta.Sources["config"])
			}
			// Saved, the profile keeps the packaged image for a microVM to boot.
			if k.Image() != "" {
				t.Errorf("an unsaved build from packages names an image: %q", k.Image())
			}
			t.Setenv("KGENT_KB_DIR", t.TempDir())
			if _, err := kb.SaveProfile(k, "packaged"); err != nil {
				t.Fatal(err)
			}
			saved, err := kb.OpenProfile("packaged")
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(saved.Image())
			orig, _ := os.ReadFile(o.Image)
			if err != nil || !bytes.Equal(got, orig) {
				t.Errorf("the saved profile's image %q is not the packaged one: %v", saved.Image(), err)
			}
			// Damaged packages are errors.
			b, err := os.ReadFile(debs[0])
			if err != nil {
				t.Fatal(err)
			}
			cut := filepath.Join(t.TempDir(), "cut.deb")
			if err := os.WriteFile(cut, b[:len(b)/2], 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := kb.BuildImage(kb.ImageOptions{Packages: []string{cut}}); err == nil {
				t.Error("a truncated package built")
			}
		})
	}
	if _, err := kb.BuildImage(kb.ImageOptions{Packages: []string{"/etc/passwd"}}); err == nil || !strings.Contains(err.Error(), "not a .deb") {
		t.Errorf("a text file as a package: %v", err)
	}
}
