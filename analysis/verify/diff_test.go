package verify

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
)

// diffCase is one program of the differential test.
type diffCase struct {
	name string // unique: "example/c-fork-events", "fixture/loop.bpf.c", "variant/ringbuf-100k"
	path string // where it is compiled from (its directory is on the include path)
	text string
}

// knownDisagreements are the cases where kgent and libbpf 1.1 (bpftool
// 7.1) are known to differ, with why. The test fails if one of them
// starts to agree (the entry is then stale).
var knownDisagreements = map[string]string{
	// libbpf does not load a program whose section starts with '?'
	// (autoload off) unless its loader turns it on; kgent verifies it,
	// since a loader that uses the program turns it on first.
	"variant/sec-autoload-off-bad": "kgent verifies '?' programs that bpftool loadall leaves out",
	// cilium/ebpf v0.22 reads only untyped (void) __ksym variables: kgent
	// reports the object as not verified (KG604), not as wrong.
	"variant/extern-ksym-typed":        "cilium/ebpf v0.22 cannot read typed __ksym variables (KG604, not verified)",
	"variant/extern-ksym-untyped":      "cilium/ebpf v0.22 cannot read a const void __ksym variable (KG604, not verified)",
	"variant/extern-ksym-weak-missing": "cilium/ebpf v0.22 cannot read a const void __ksym variable (KG604, not verified)",
	"variant/extern-ksym-missing":      "cilium/ebpf v0.22 cannot read a const void __ksym variable (KG604, not verified)",
	// libbpf 1.1 resolves the size of a type the kernel lacks without
	// poisoning the instruction; cilium/ebpf poisons it, and kgent names
	// the missing type.
	"variant/core-type-size-unguarded": "libbpf 1.1 does not poison bpf_core_type_size() of a missing type; cilium/ebpf does",
}

// TestDifferentialLibbpf loads every C program of the corpus (the kb's
// examples, this package's fixtures that compile, and variants written
// for the loader's differences: map types and sizes, extern kinds,
// section kinds, global functions, data sections, guarded and unguarded
// CO-RE accesses) twice from one compiled object: through kgent's
// verification and through bpftool prog loadall (libbpf). Both must load
// it, or both reject it for the same class of reason (the verifier's same
// sentence, a CO-RE relocation, a map, an extern, a kind of program this
// kernel refuses). Nothing is attached; every pin is removed.
func TestDifferentialLibbpf(t *testing.T) {
	testenv.Require(t, testenv.BPF, testenv.Clang, testenv.Bpftool)
	v := newVerifier(t)
	bpftool, err := exec.LookPath("bpftool")
	if err != nil {
		t.Fatal(err)
	}
	cases := diffCorpus(t)
	var agree, disagree, explained, skipped int
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if why := diffSkip(c.text); why != "" {
				skipped++
				t.Logf("not loaded by bpftool: %s", why)
				return
			}
			// A program too large for the verifier takes its million
			// instructions, minutes on a loaded 2-core machine.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			obj := filepath.Join(t.TempDir(), "prog.o")
			r, ok := v.CompileC(ctx, c.path, c.text, obj)
			if !ok {
				t.Fatalf("does not compile: %v\n%s", r.Findings, r.Log)
			}
			src := srcNameFor(c.path)
			fs, klog := v.load(ctx, obj, src, c.text, analysis.NewLineIndex(c.text))
			k := kgentOutcome(fs)
			out, lerr := bpftoolLoadall(t, bpftool, obj)
			l := libbpfOutcome(out, lerr == nil)
			ok, why := agreeOutcomes(k, l)
			reason, listed := knownDisagreements[c.name]
			switch {
			case ok && listed:
				t.Errorf("listed as a disagreement (%s) but both now %s: remove it from knownDisagreements", reason, k)
			case ok:
				agree++
			case listed:
				explained++
				t.Logf("known disagreement: %s (kgent %s; libbpf %s)", reason, k, l)
			default:
				disagree++
				t.Errorf("kgent and libbpf disagree: %s\nkgent: %s\n%s\nkgent's log:\n%s\n\nlibbpf: %s\nbpftool's output (tail):\n%s",
					why, k, findingsText(fs), klog, l, tail(out, 60))
			}
		})
	}
	t.Logf("%d programs on kernel %s: %d agree, %d known disagreements, %d unexplained, %d not loaded by bpftool",
		len(cases), kernelRelease(), agree, explained, disagree, skipped)
	if len(cases) < 80 {
		t.Errorf("only %d programs", len(cases))
	}
}

// diffSkip says why bpftool must not load an object here, or "".
func diffSkip(text string) string {
	switch {
	case strings.Contains(text, "SEC(\".struct_ops"):
		// libbpf creates struct_ops maps on load, which registers the
		// operations with the kernel: that is attaching.
		return "struct_ops maps register their operations when libbpf creates them"
	case strings.Contains(text, "__uint(pinning"):
		return "libbpf pins maps with LIBBPF_PIN_BY_NAME in /sys/fs/bpf (or reuses a running tool's)"
	}
	return ""
}

// bpftoolLoadall loads obj with bpftool (libbpf) into a pin directory of
// its own, removed afterwards, and returns bpftool's output.
func bpftoolLoadall(t *testing.T, bpftool, obj string) (string, error) {
	dir, err := os.MkdirTemp("/sys/fs/bpf", "kgent-diff-")
	if err != nil {
		t.Fatalf("bpffs: %v", err)
	}
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("removing %s: %v", dir, err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bpftool, "prog", "loadall", obj, dir).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("bpftool did not finish in 10 minutes: the comparison cannot be made")
	}
	return string(out), err
}

// outcome is how one loader fared with an object.
type outcome struct {
	loaded  bool
	classes []string // reasons: "verifier: <key sentence>", "core", "map", "extern", "eperm", "attach", "section", "other: ..."
}

func (o outcome) String() string {
	if o.loaded {
		return "loads"
	}
	return "rejects (" + strings.Join(o.classes, "; ") + ")"
}

// kgentOutcome classifies kgent's findings.
func kgentOutcome(fs []analysis.Finding) outcome {
	var o outcome
	for _, f := range fs {
		// A microVM's kernel is named first ("rejected by the verifier
		// of 6.1.0-50-amd64: ..."); the reason follows.
		if m := whoseRe.FindStringIndex(f.Message); m != nil {
			f.Message = f.Message[m[1]:]
		}
		var c string
		switch {
		case f.Code == analysis.KG604 && strings.Contains(f.Message, "refuses to load"):
			c = "eperm"
		case f.Code == analysis.KG604:
			c = "unavailable: " + f.Message
		case f.Code != analysis.KG602 && f.Source != analysis.SourceVerifier:
			continue
		case strings.HasPrefix(f.Message, "CO-RE relocation failed"):
			c = "core"
		case strings.HasPrefix(f.Message, "the verifier rejected the program: "):
			c = "verifier: " + normKey(strings.TrimPrefix(f.Message, "the verifier rejected the program: "))
		case strings.Contains(f.Message, "guess the program type"):
			c = "section"
		case strings.Contains(f.Message, "__weak kfunc"):
			c = "weak-kfunc"
		case strings.Contains(f.Message, "(verifier: "):
			i := strings.Index(f.Message, "(verifier: ")
			c = "verifier: " + normKey(strings.TrimSuffix(f.Message[i+len("(verifier: "):], ")"))
		case strings.Contains(f.Message, "__kconfig extern") || strings.Contains(f.Message, "kfunc") || strings.Contains(f.Message, "ksym"):
			c = "extern"
		case regexp.MustCompile(`: map \S+: `).MatchString(f.Message):
			c = "map"
		case strings.HasSuffix(f.Message, "does not load: load program: invalid argument"):
			// EINVAL and no log: the kernel refused the program before
			// its verifier ran (a type or flag it does not know).
			c = "einval"
		case strings.Contains(f.Message, "attach target"):
			c = "attach"
		default:
			c = "other: " + f.Message
		}
		o.classes = append(o.classes, c)
	}
	o.loaded = len(o.classes) == 0
	return o
}

var (
	libbpfFailRe = regexp.MustCompile(`libbpf: prog '(\w+)': failed to load: -(\d+)`)
	whoseRe      = regexp.MustCompile(`^rejected by the verifier of \S+: `)
	// weakKfuncCallRe is the call of a __weak kfunc the kernel lacks as
	// libbpf 1.1 leaves it (imm 0) in a verifier log: 6.1's verifier
	// walks past it and rejects what follows (R0 !read_ok when its result
	// is used), where newer kernels say "invalid kernel function call
	// not eliminated".
	weakKfuncCallRe = regexp.MustCompile(`(?m)^\d+: \(85\) call #0$`)
)

// libbpfOutcome classifies bpftool's output.
func libbpfOutcome(out string, ok bool) outcome {
	// bpftool pins every program after libbpf loaded the object; one
	// with autoload off ('?') was not loaded, which bpftool reports.
	if ok || strings.Contains(out, "can't pin program that wasn't loaded") && !strings.Contains(out, "failed to load: -") {
		return outcome{loaded: true}
	}
	var c string
	m := libbpfFailRe.FindStringSubmatch(out)
	switch {
	case strings.Contains(out, "failed to resolve CO-RE relocation"):
		c = "core"
	case regexp.MustCompile(`map '[^']*': failed to create|failed to create map|Error in bpf_create_map`).MatchString(out):
		c = "map"
	case regexp.MustCompile(`extern .*(?:not resolved|not found|unrecognized)|failed to find BTF for extern|extern \(kcfg\)|extern \(func ksym\)|extern \(var ksym\)|failed to open system Kconfig`).MatchString(out):
		c = "extern"
	case strings.Contains(out, "invalid kernel function call not eliminated in verifier pass"):
		// libbpf leaves a missing __weak kfunc's call unresolved.
		c = "weak-kfunc"
	case strings.Contains(out, "missing BPF prog type") || strings.Contains(out, "failed to guess program type"):
		c = "section"
	case strings.Contains(out, "failed to find kernel BTF type ID"):
		c = "attach"
	case m != nil && m[2] == "1":
		c = "eperm"
	case m != nil && weakKfuncCallRe.MatchString(strings.Join(libbpfProgLog(out, m[1]), "\n")):
		c = "weak-kfunc"
	case m != nil:
		if key := keySentence(splitLog(libbpfProgLog(out, m[1]))); key != "" {
			c = "verifier: " + normKey(key)
		} else {
			c = "other: errno " + m[2]
			if m[2] == "22" {
				c = "einval"
			}
		}
	default:
		c = "other: " + firstLine(strings.TrimSpace(out))
	}
	return outcome{classes: []string{c}}
}

// normKey is a key sentence without its final period.
func normKey(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), ".")
}

// agreeOutcomes says whether the two loaders agree: both load, or both
// reject and libbpf's reason (it stops at its first failure) is one of
// kgent's.
func agreeOutcomes(k, l outcome) (bool, string) {
	if k.loaded != l.loaded {
		return false, fmt.Sprintf("kgent %s, libbpf %s", k, l)
	}
	if k.loaded {
		return true, ""
	}
	for _, c := range k.classes {
		if strings.HasPrefix(c, "unavailable") {
			return false, "kgent did not verify: " + c
		}
	}
	if slices.Contains(k.classes, l.classes[0]) {
		return true, ""
	}
	return false, fmt.Sprintf("different reasons: kgent %v, libbpf %v", k.classes, l.classes)
}

func findingsText(fs []analysis.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s %s\n", f.Code, f.Severity, f.Message)
	}
	return b.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// diffCorpus is every program of the differential test.
func diffCorpus(t *testing.T) []diffCase {
	var cs []diffCase
	exs, _ := filepath.Glob("../../kb/examples/*/prog.bpf.c")
	if len(exs) < 40 {
		t.Fatalf("only %d C examples", len(exs))
	}
	fixtures, _ := filepath.Glob("testdata/*.bpf.c")
	for _, p := range append(exs, fixtures...) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		name := "example/" + filepath.Base(filepath.Dir(p))
		if strings.HasPrefix(p, "testdata") {
			name = "fixture/" + filepath.Base(p)
			// Fixtures clang refuses by design: a compile error, or the
			// stack limit clang reports (now KG505, its specific code).
			if strings.Contains(string(data), "want: KG601") || strings.Contains(string(data), `want: KG505 "stack limit"`) {
				continue
			}
		}
		cs = append(cs, diffCase{name: name, path: p, text: string(data)})
	}
	dir := t.TempDir()
	vs := diffVariants()
	names := make([]string, 0, len(vs))
	for n := range vs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cs = append(cs, diffCase{name: "variant/" + n, path: filepath.Join(dir, n+".bpf.c"), text: vs[n]})
	}
	return cs
}

const diffHeader = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";
`

// diffVariants are programs written for the points where loaders differ.
func diffVariants() map[string]string {
	vs := map[string]string{}
	// Maps: types and sizes, each used by a tracepoint program.
	mapProg := func(def, use string) string {
		return diffHeader + "struct {\n" + def + "\n} m SEC(\".maps\");\n\nSEC(\"tp/sched/sched_switch\")\nint prog(void *ctx)\n{\n" + use + "\n\treturn 0;\n}\n"
	}
	ringUse := "\tu64 *e = bpf_ringbuf_reserve(&m, 8, 0);\n\tif (!e)\n\t\treturn 0;\n\t*e = 1;\n\tbpf_ringbuf_submit(e, 0);"
	for _, sz := range []string{"0", "1", "4096", "3 * 4096", "100 * 1024", "256 * 1024", "(1 << 20) + 1", "12345"} {
		name := "ringbuf-" + strings.NewReplacer(" ", "", "*", "x", "(", "", ")", "", "<<", "shl", "+", "p").Replace(sz)
		vs["map-"+name] = mapProg("\t__uint(type, BPF_MAP_TYPE_RINGBUF);\n\t__uint(max_entries, "+sz+");", ringUse)
	}
	vs["map-user-ringbuf-10000"] = mapProg("\t__uint(type, BPF_MAP_TYPE_USER_RINGBUF);\n\t__uint(max_entries, 10000);", "\tbpf_user_ringbuf_drain(&m, (void *)0, (void *)0, 0);")
	perfUse := "\tu64 v = 1;\n\tbpf_perf_event_output(ctx, &m, BPF_F_CURRENT_CPU, &v, sizeof(v));"
	for _, n := range []string{"0", "1", "128"} {
		vs["map-perf-"+n] = mapProg("\t__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);\n\t__uint(max_entries, "+n+");\n\t__uint(key_size, sizeof(u32));\n\t__uint(value_size, sizeof(u32));", perfUse)
	}
	vs["map-perf-nosizes"] = mapProg("\t__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);", perfUse)
	lookup := "\tu32 k = 0;\n\tu64 *v = bpf_map_lookup_elem(&m, &k);\n\tif (v)\n\t\t*v += 1;"
	for _, c := range []struct{ name, typ, max, extra string }{
		{"hash", "BPF_MAP_TYPE_HASH", "1024", ""},
		{"hash-0", "BPF_MAP_TYPE_HASH", "0", ""},
		{"hash-noprealloc", "BPF_MAP_TYPE_HASH", "1024", "\t__uint(map_flags, BPF_F_NO_PREALLOC);"},
		{"hash-lru", "BPF_MAP_TYPE_LRU_HASH", "1024", ""},
		{"hash-lru-percpu", "BPF_MAP_TYPE_LRU_PERCPU_HASH", "1024", ""},
		{"array", "BPF_MAP_TYPE_ARRAY", "1", ""},
		{"array-mmap", "BPF_MAP_TYPE_ARRAY", "16", "\t__uint(map_flags, BPF_F_MMAPABLE);"},
		{"array-percpu", "BPF_MAP_TYPE_PERCPU_ARRAY", "4", ""},
		{"array-noprealloc", "BPF_MAP_TYPE_ARRAY", "4", "\t__uint(map_flags, BPF_F_NO_PREALLOC);"},
		{"hash-percpu", "BPF_MAP_TYPE_PERCPU_HASH", "64", ""},
	} {
		vs["map-"+c.name] = mapProg("\t__uint(type, "+c.typ+");\n\t__uint(max_entries, "+c.max+");\n\t__type(key, u32);\n\t__type(value, u64);\n"+c.extra, lookup)
	}
	vs["map-bloom"] = mapProg("\t__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);\n\t__uint(max_entries, 64);\n\t__type(value, u32);\n\t__uint(map_extra, 3);", "\tu32 v = 7;\n\tbpf_map_push_elem(&m, &v, 0);")
	vs["map-queue"] = mapProg("\t__uint(type, BPF_MAP_TYPE_QUEUE);\n\t__uint(max_entries, 64);\n\t__type(value, u32);", "\tu32 v = 7;\n\tbpf_map_push_elem(&m, &v, 0);")
	vs["map-stack-trace"] = mapProg("\t__uint(type, BPF_MAP_TYPE_STACK_TRACE);\n\t__uint(max_entries, 64);\n\t__uint(key_size, sizeof(u32));\n\t__uint(value_size, 127 * sizeof(u64));", "\tbpf_get_stackid(ctx, &m, 0);")
	vs["map-cpumap-0"] = diffHeader + "struct {\n\t__uint(type, BPF_MAP_TYPE_CPUMAP);\n\t__uint(max_entries, 0);\n\t__type(key, u32);\n\t__type(value, struct bpf_cpumap_val);\n} m SEC(\".maps\");\n\nSEC(\"xdp\")\nint prog(struct xdp_md *ctx)\n{\n\treturn bpf_redirect_map(&m, 0, 0);\n}\n"
	vs["map-cpumap-2"] = strings.Replace(vs["map-cpumap-0"], "max_entries, 0", "max_entries, 2", 1)
	vs["map-task-storage"] = diffHeader + "struct {\n\t__uint(type, BPF_MAP_TYPE_TASK_STORAGE);\n\t__uint(map_flags, BPF_F_NO_PREALLOC);\n\t__type(key, int);\n\t__type(value, u64);\n} m SEC(\".maps\");\n\nSEC(\"tp_btf/sched_switch\")\nint BPF_PROG(prog, bool preempt, struct task_struct *prev)\n{\n\tu64 *v = bpf_task_storage_get(&m, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);\n\tif (v)\n\t\t*v += 1;\n\treturn 0;\n}\n"
	vs["map-task-storage-prealloc"] = strings.Replace(vs["map-task-storage"], "\t__uint(map_flags, BPF_F_NO_PREALLOC);\n", "", 1)
	vs["map-array-of-maps"] = diffHeader + "struct inner {\n\t__uint(type, BPF_MAP_TYPE_ARRAY);\n\t__uint(max_entries, 1);\n\t__type(key, u32);\n\t__type(value, u64);\n} in1 SEC(\".maps\");\n\nstruct {\n\t__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);\n\t__uint(max_entries, 2);\n\t__type(key, u32);\n\t__array(values, struct inner);\n} outer SEC(\".maps\") = {\n\t.values = { [0] = &in1 },\n};\n\nSEC(\"tp/sched/sched_switch\")\nint prog(void *ctx)\n{\n\tu32 k = 0;\n\tvoid *inner = bpf_map_lookup_elem(&outer, &k);\n\tif (!inner)\n\t\treturn 0;\n\tu64 *v = bpf_map_lookup_elem(inner, &k);\n\tif (v)\n\t\t*v += 1;\n\treturn 0;\n}\n"

	// Externs.
	tpBTF := func(decl, body string) string {
		return diffHeader + decl + "\nSEC(\"tp_btf/sched_switch\")\nint BPF_PROG(prog, bool preempt, struct task_struct *prev, struct task_struct *next)\n{\n" + body + "\n\treturn 0;\n}\n"
	}
	vs["extern-kfunc"] = tpBTF("extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;\nextern void bpf_task_release(struct task_struct *p) __ksym;\n",
		"\tstruct task_struct *t = bpf_task_acquire(prev);\n\tif (t)\n\t\tbpf_task_release(t);")
	vs["extern-kfunc-unreleased"] = tpBTF("extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;\n",
		"\tstruct task_struct *t = bpf_task_acquire(prev);\n\tif (t)\n\t\tbpf_printk(\"%d\", t->pid);")
	vs["extern-kfunc-missing"] = tpBTF("extern int bpf_kgent_no_such_kfunc(struct task_struct *p) __ksym;\n", "\tbpf_kgent_no_such_kfunc(prev);")
	vs["extern-kfunc-weak-missing-guarded"] = tpBTF("extern int bpf_kgent_no_such_kfunc(struct task_struct *p) __ksym __weak;\n",
		"\tif (bpf_kgent_no_such_kfunc)\n\t\tbpf_kgent_no_such_kfunc(prev);")
	vs["extern-kfunc-weak-missing-called"] = tpBTF("extern int bpf_kgent_no_such_kfunc(struct task_struct *p) __ksym __weak;\n", "\tbpf_kgent_no_such_kfunc(prev);")
	vs["extern-kfunc-weak-present"] = tpBTF("extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym __weak;\nextern void bpf_task_release(struct task_struct *p) __ksym __weak;\n",
		"\tstruct task_struct *t = bpf_task_acquire(prev);\n\tif (t)\n\t\tbpf_task_release(t);")
	vs["extern-ksym-typed"] = tpBTF("extern const struct rq runqueues __ksym;\n",
		"\tstruct rq *rq = bpf_this_cpu_ptr(&runqueues);\n\tbpf_printk(\"%u\", rq->nr_running);")
	vs["extern-ksym-untyped"] = tpBTF("extern const void init_task __ksym;\n", "\tbpf_printk(\"%p\", &init_task);")
	vs["extern-ksym-weak-missing"] = tpBTF("extern const void kgent_no_such_symbol __ksym __weak;\n", "\tif (&kgent_no_such_symbol)\n\t\tbpf_printk(\"%p\", &kgent_no_such_symbol);")
	vs["extern-ksym-missing"] = tpBTF("extern const void kgent_no_such_symbol __ksym;\n", "\tbpf_printk(\"%p\", &kgent_no_such_symbol);")
	vs["extern-kconfig-version"] = tpBTF("extern u32 LINUX_KERNEL_VERSION __kconfig;\n", "\tif (LINUX_KERNEL_VERSION < KERNEL_VERSION(5, 0, 0))\n\t\treturn *(volatile int *)0;")
	vs["extern-kconfig-cookie"] = tpBTF("extern bool LINUX_HAS_BPF_COOKIE __kconfig __weak;\n", "\tif (!LINUX_HAS_BPF_COOKIE)\n\t\treturn *(volatile int *)0;")
	vs["extern-kconfig-cookie-strong"] = tpBTF("extern bool LINUX_HAS_BPF_COOKIE __kconfig;\n", "\tif (LINUX_HAS_BPF_COOKIE)\n\t\treturn *(volatile int *)0;")
	vs["extern-kconfig-int"] = tpBTF("extern int CONFIG_HZ __kconfig;\n", "\tif (CONFIG_HZ < 10)\n\t\treturn *(volatile int *)0;")
	vs["extern-kconfig-bool"] = tpBTF("extern bool CONFIG_BPF_SYSCALL __kconfig;\n", "\tif (!CONFIG_BPF_SYSCALL)\n\t\treturn *(volatile int *)0;")
	vs["extern-kconfig-tristate"] = tpBTF("extern enum libbpf_tristate CONFIG_BPF_SYSCALL __kconfig;\n", "\tif (CONFIG_BPF_SYSCALL != TRI_YES)\n\t\treturn *(volatile int *)0;")
	vs["extern-kconfig-weak-missing"] = tpBTF("extern bool CONFIG_KGENT_NO_SUCH_OPTION __kconfig __weak;\n", "\tif (CONFIG_KGENT_NO_SUCH_OPTION)\n\t\treturn *(volatile int *)0;")
	vs["extern-kconfig-weak-missing-reached"] = tpBTF("extern bool CONFIG_KGENT_NO_SUCH_OPTION __kconfig __weak;\n", "\tif (!CONFIG_KGENT_NO_SUCH_OPTION)\n\t\treturn *(volatile int *)0;")
	vs["extern-kconfig-missing"] = tpBTF("extern bool CONFIG_KGENT_NO_SUCH_OPTION __kconfig;\n", "\tif (CONFIG_KGENT_NO_SUCH_OPTION)\n\t\tbpf_printk(\"on\");")
	vs["extern-kconfig-unknown-virtual"] = tpBTF("extern int LINUX_KGENT_NOPE __kconfig;\n", "\tif (LINUX_KGENT_NOPE)\n\t\tbpf_printk(\"on\");")
	vs["extern-kconfig-syscall-wrapper"] = tpBTF("extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;\n", "\tbpf_printk(\"%d\", LINUX_HAS_SYSCALL_WRAPPER);")

	// Section kinds.
	simple := func(sec, proto, body string) string {
		return diffHeader + "\nSEC(\"" + sec + "\")\nint " + proto + "\n{\n" + body + "\n}\n"
	}
	for _, c := range []struct{ name, sec, proto, body string }{
		{"tp", "tp/syscalls/sys_enter_openat", "prog(void *ctx)", "\treturn 0;"},
		{"tracepoint", "tracepoint/sched/sched_process_exit", "prog(void *ctx)", "\treturn 0;"},
		{"tp-missing", "tp/kgent/no_such_event", "prog(void *ctx)", "\treturn 0;"},
		{"raw-tp", "raw_tp/sched_switch", "prog(void *ctx)", "\treturn 0;"},
		{"raw-tracepoint", "raw_tracepoint/sys_enter", "prog(void *ctx)", "\treturn 0;"},
		{"tp-btf", "tp_btf/sched_process_fork", "BPF_PROG(prog, struct task_struct *parent, struct task_struct *child)", "\tbpf_printk(\"%d\", child->pid);\n\treturn 0;"},
		{"tp-btf-missing", "tp_btf/kgent_no_such_event", "prog(void *ctx)", "\treturn 0;"},
		{"kprobe", "kprobe/do_nanosleep", "prog(struct pt_regs *ctx)", "\treturn 0;"},
		{"kretprobe", "kretprobe/do_nanosleep", "prog(struct pt_regs *ctx)", "\treturn 0;"},
		{"uprobe", "uprobe//bin/true:main", "prog(struct pt_regs *ctx)", "\treturn 0;"},
		{"uprobe-bare", "uprobe", "prog(struct pt_regs *ctx)", "\treturn 0;"},
		{"usdt", "usdt//bin/true:p:q", "prog(struct pt_regs *ctx)", "\treturn 0;"},
		{"fentry", "fentry/do_nanosleep", "BPF_PROG(prog)", "\treturn 0;"},
		{"fexit", "fexit/do_nanosleep", "BPF_PROG(prog)", "\treturn 0;"},
		{"lsm", "lsm/file_open", "BPF_PROG(prog, struct file *file)", "\treturn 0;"},
		{"xdp", "xdp", "prog(struct xdp_md *ctx)", "\treturn XDP_PASS;"},
		{"xdp-frags", "xdp.frags", "prog(struct xdp_md *ctx)", "\treturn XDP_PASS;"},
		{"tc", "tc", "prog(struct __sk_buff *skb)", "\treturn 0;"},
		{"classifier", "classifier", "prog(struct __sk_buff *skb)", "\treturn 0;"},
		{"socket", "socket", "prog(struct __sk_buff *skb)", "\treturn skb->len;"},
		{"cgroup-skb", "cgroup_skb/ingress", "prog(struct __sk_buff *skb)", "\treturn 1;"},
		{"cgroup-skb-bad-return", "cgroup_skb/egress", "prog(struct __sk_buff *skb)", "\treturn 7;"},
		{"cgroup-sock", "cgroup/sock_create", "prog(struct bpf_sock *sk)", "\treturn 1;"},
		{"cgroup-connect4", "cgroup/connect4", "prog(struct bpf_sock_addr *ctx)", "\treturn 1;"},
		{"sockops", "sockops", "prog(struct bpf_sock_ops *skops)", "\treturn 1;"},
		{"perf-event", "perf_event", "prog(struct bpf_perf_event_data *ctx)", "\treturn 0;"},
		{"iter-task", "iter/task", "prog(struct bpf_iter__task *ctx)", "\treturn 0;"},
		{"syscall", "syscall", "prog(void *ctx)", "\treturn 0;"},
		{"tp-sleepable-bad", "tp.s/sched/sched_switch", "prog(void *ctx)", "\treturn 0;"},
		{"autoload-off", "?tp/sched/sched_switch", "prog(void *ctx)", "\treturn 0;"},
		{"autoload-off-bad", "?tp/sched/sched_switch", "prog(void *ctx)", "\treturn *(volatile int *)0;"},
		{"unknown", "kgent_unknown_section", "prog(void *ctx)", "\treturn 0;"},
	} {
		vs["sec-"+c.name] = simple(c.sec, c.proto, c.body)
	}

	// Global functions, verified on their own (static ones in their
	// caller's context), and hidden ones (static to libbpf).
	gfunc := func(attr, body string) string {
		return diffHeader + "\n" + attr + "int add(int *p)\n{\n" + body + "\n}\n\nSEC(\"tp/sched/sched_switch\")\nint prog(void *ctx)\n{\n\tint x = 1;\n\treturn add(&x);\n}\n"
	}
	vs["func-global-checked"] = gfunc("__noinline ", "\tif (!p)\n\t\treturn 0;\n\treturn *p + 1;")
	vs["func-global-unchecked"] = gfunc("__noinline ", "\treturn *p + 1;")
	vs["func-static-unchecked"] = gfunc("static __noinline ", "\treturn *p + 1;")
	vs["func-hidden-unchecked"] = gfunc("__noinline __hidden ", "\treturn *p + 1;")
	vs["func-weak-hidden-unchecked"] = gfunc("__noinline __weak __hidden ", "\treturn *p + 1;")
	vs["func-global-void-ctx"] = diffHeader + "\n__noinline int helper(void *ctx)\n{\n\treturn bpf_get_smp_processor_id();\n}\n\nSEC(\"tp/sched/sched_switch\")\nint prog(void *ctx)\n{\n\treturn helper(ctx);\n}\n"

	// Data sections.
	data := func(decl, body string) string {
		return diffHeader + decl + "\nSEC(\"tp/sched/sched_switch\")\nint prog(void *ctx)\n{\n" + body + "\n\treturn 0;\n}\n"
	}
	vs["data-rodata"] = data("const volatile u32 target_pid = 0;\n", "\tif (target_pid && (bpf_get_current_pid_tgid() >> 32) != target_pid)\n\t\treturn 0;\n\tbpf_printk(\"hit\");")
	vs["data-rodata-dead-code"] = data("const volatile bool debug = false;\n", "\tif (debug)\n\t\treturn *(volatile int *)0;")
	vs["data-rodata-live-bad"] = data("const volatile bool debug = true;\n", "\tif (debug)\n\t\treturn *(volatile int *)0;")
	vs["data-bss"] = data("u64 counter;\n", "\t__sync_fetch_and_add(&counter, 1);")
	vs["data-data"] = data("u64 counter = 5;\nchar name[16] = \"kgent\";\n", "\tcounter += name[0];")
	vs["data-custom"] = data("u64 a SEC(\".data.kgent\") = 3;\nconst volatile u64 b SEC(\".rodata.kgent\") = 4;\n", "\ta += b;")
	vs["data-bss-array-oob"] = data("u64 slots[4];\n", "\tu32 i = bpf_get_prandom_u32();\n\tslots[i] = 1;")

	// CO-RE: a field this kernel lacks (task_struct's state became
	// __state in 5.14), guarded and unguarded.
	core := diffHeader + "\nstruct task_struct___pre514 {\n\tlong state;\n} __attribute__((preserve_access_index));\n\nstruct kgent_no_such_struct {\n\tint x;\n} __attribute__((preserve_access_index));\n\nenum kgent_no_such_enum { KGENT_NOPE = 1 };\n\nSEC(\"tp_btf/sched_switch\")\nint BPF_PROG(prog, bool preempt, struct task_struct *prev)\n{\n\tstruct task_struct___pre514 *o = (void *)prev;\n\tlong s = 0;\n%s\n\tbpf_printk(\"%%ld\", s);\n\treturn 0;\n}\n"
	vs["core-unguarded"] = fmt.Sprintf(core, "\ts = BPF_CORE_READ(o, state);")
	vs["core-unguarded-direct"] = fmt.Sprintf(core, "\ts = o->state;")
	vs["core-guarded"] = fmt.Sprintf(core, "\tif (bpf_core_field_exists(o->state))\n\t\ts = BPF_CORE_READ(o, state);")
	vs["core-guarded-else"] = fmt.Sprintf(core, "\tif (bpf_core_field_exists(o->state))\n\t\ts = BPF_CORE_READ(o, state);\n\telse\n\t\ts = BPF_CORE_READ(prev, __state);")
	vs["core-present"] = fmt.Sprintf(core, "\ts = BPF_CORE_READ(prev, __state) + BPF_CORE_READ(prev, mm, total_vm);")
	vs["core-type-guarded"] = fmt.Sprintf(core, "\tif (bpf_core_type_exists(struct kgent_no_such_struct))\n\t\ts = bpf_core_type_size(struct kgent_no_such_struct);")
	vs["core-type-size-unguarded"] = fmt.Sprintf(core, "\ts = bpf_core_type_size(struct kgent_no_such_struct);")
	vs["core-enum-guarded"] = fmt.Sprintf(core, "\tif (bpf_core_enum_value_exists(enum kgent_no_such_enum, KGENT_NOPE))\n\t\ts = bpf_core_enum_value(enum kgent_no_such_enum, KGENT_NOPE);")
	vs["core-enum-unguarded"] = fmt.Sprintf(core, "\ts = bpf_core_enum_value(enum kgent_no_such_enum, KGENT_NOPE);")
	// An enum value the host kernel has and 5.10 lacks (user ring
	// buffers came in 6.1): relocated against each kernel's own BTF.
	vs["core-enum-newer-unguarded"] = diffHeader + "\nenum bpf_map_type___kgent { BPF_MAP_TYPE_USER_RINGBUF___kgent = 31 };\n\nSEC(\"tp/sched/sched_switch\")\nint prog(void *ctx)\n{\n\tbpf_printk(\"%d\", bpf_core_enum_value(enum bpf_map_type___kgent, BPF_MAP_TYPE_USER_RINGBUF___kgent));\n\treturn 0;\n}\n"
	vs["core-subprog-unguarded"] = diffHeader + "\nstruct task_struct___pre514 {\n\tlong state;\n} __attribute__((preserve_access_index));\n\nstatic __noinline long read_state(struct task_struct *t)\n{\n\tstruct task_struct___pre514 *o = (void *)t;\n\treturn BPF_CORE_READ(o, state);\n}\n\nSEC(\"tp_btf/sched_switch\")\nint BPF_PROG(prog, bool preempt, struct task_struct *prev)\n{\n\tbpf_printk(\"%ld\", read_state(prev));\n\treturn 0;\n}\n"

	// Verifier rejections whose log libbpf and kgent must read alike.
	vs["verifier-jumps-too-complex"] = diffHeader + "\nSEC(\"xdp\")\nint prog(struct xdp_md *ctx)\n{\n\tu64 s = 0;\n\tvoid *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;\n\tfor (u32 i = 0; i < 100000; i++) {\n\t\tu8 *p = data + (i & 0xff);\n\t\tif ((void *)(p + 1) > end)\n\t\t\tbreak;\n\t\tif (*p == 7)\n\t\t\ts += i;\n\t}\n\treturn s;\n}\n"
	vs["verifier-too-large"] = diffHeader + "\nSEC(\"tp/sched/sched_switch\")\nint prog(void *ctx)\n{\n\tu32 n = bpf_get_prandom_u32();\n\tu64 s = 0;\n\tfor (u32 i = 0; i < n; i++) {\n\t\tif (bpf_get_prandom_u32() & 1)\n\t\t\ts += 1;\n\t}\n\treturn s;\n}\n"
	vs["verifier-tail-call-wrong-map"] = diffHeader + "\nstruct {\n\t__uint(type, BPF_MAP_TYPE_ARRAY);\n\t__uint(max_entries, 2);\n\t__type(key, u32);\n\t__type(value, u32);\n} m SEC(\".maps\");\n\nSEC(\"tp/sched/sched_switch\")\nint prog(void *ctx)\n{\n\tbpf_tail_call(ctx, &m, 0);\n\treturn 0;\n}\n"
	vs["verifier-null"] = mapProg("\t__uint(type, BPF_MAP_TYPE_HASH);\n\t__uint(max_entries, 8);\n\t__type(key, u32);\n\t__type(value, u64);", "\tu32 k = 0;\n\tu64 *v = bpf_map_lookup_elem(&m, &k);\n\t*v += 1;")
	vs["verifier-two-programs"] = diffHeader + "\nSEC(\"tp/sched/sched_switch\")\nint good(void *ctx)\n{\n\treturn 0;\n}\n\nSEC(\"tp/sched/sched_wakeup\")\nint bad(void *ctx)\n{\n\tint x;\n\tbpf_probe_read_kernel(&x, 8, ctx);\n\treturn x;\n}\n"
	return vs
}
