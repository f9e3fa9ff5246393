package kb_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// oracle answers lookups over a builder's Data the way the kb did when it
// was that Data with maps beside it (schema 5): a later record of the same
// name wins, except for types, where the first of a kind wins and a name
// alone finds its first struct, else its first type.
type oracle struct {
	d                     *kb.Data
	helper, kfunc, fn, tp map[string]int
	tpByName              map[string][]int
	raw                   map[string]bool
	typ, anyType          map[string]int
}

func newOracle(d *kb.Data) *oracle {
	o := &oracle{d: d, helper: map[string]int{}, kfunc: map[string]int{}, fn: map[string]int{}, tp: map[string]int{},
		tpByName: map[string][]int{}, raw: map[string]bool{}, typ: map[string]int{}, anyType: map[string]int{}}
	for i, h := range d.Helpers {
		o.helper[h.Name] = i
	}
	for i, f := range d.Kfuncs {
		o.kfunc[f.Name] = i
	}
	for i, f := range d.Funcs {
		o.fn[f.Name] = i
	}
	for i, t := range d.Tracepoints {
		o.tp[t.Category+":"+t.Name] = i
		o.tpByName[t.Name] = append(o.tpByName[t.Name], i)
	}
	for _, r := range d.RawTracepoints {
		o.raw[r] = true
	}
	for i, t := range d.Types {
		if _, dup := o.typ[t.Kind+":"+t.Name]; !dup {
			o.typ[t.Kind+":"+t.Name] = i
		}
		if j, ok := o.anyType[t.Name]; !ok || (d.Types[j].Kind != "struct" && t.Kind == "struct") {
			o.anyType[t.Name] = i
		}
	}
	return o
}

func (o *oracle) typeOf(kind, name string) (*kb.Type, bool) {
	i, ok := o.anyType[name]
	if kind != "" {
		i, ok = o.typ[kind+":"+name]
	}
	if !ok {
		return nil, false
	}
	return &o.d.Types[i], true
}

func (o *oracle) kernelFunc(name string) (*kb.Func, kb.Tri) {
	if i, ok := o.fn[name]; ok {
		return &o.d.Funcs[i], kb.Yes
	}
	if o.d.Kallsyms != nil {
		if _, ok := slices.BinarySearch(o.d.Kallsyms, name); ok {
			return nil, kb.Yes
		}
		return nil, kb.No
	}
	if len(o.d.Funcs) > 0 {
		return nil, kb.No
	}
	return nil, kb.Unknown
}

func (o *oracle) member(t *kb.Type, name string, depth int) (*kb.Member, bool) {
	if t == nil || depth > 8 {
		return nil, false
	}
	for i := range t.Members {
		if t.Members[i].Name == name {
			return &t.Members[i], true
		}
	}
	for _, m := range t.Members {
		if m.Name == "" && m.Ref != "" {
			if inner, ok := o.typeOf(m.RefKind, m.Ref); ok {
				if found, ok := o.member(inner, name, depth+1); ok {
					c := *found
					c.Offset += m.Offset
					return &c, true
				}
			}
		}
	}
	return nil, false
}

func (o *oracle) funcsMatching(pattern string, limit int) ([]string, bool) {
	if i := strings.IndexByte(pattern, '.'); i > 0 {
		pattern = pattern[:i]
	}
	src := o.d.Kallsyms
	if src == nil {
		for _, f := range o.d.Funcs {
			src = append(src, f.Name)
		}
		sort.Strings(src)
	}
	var out []string
	for _, s := range src {
		if kb.Glob(pattern, s) {
			out = append(out, s)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
	}
	return out, len(src) > 0
}

// familyNames are the names the schema 5 kb indexed for Nearest.
func (o *oracle) familyNames() map[string][]string {
	out := map[string][]string{}
	for _, h := range o.d.Helpers {
		out[kb.FamilyHelper] = append(out[kb.FamilyHelper], h.Name)
	}
	for _, f := range o.d.Kfuncs {
		out[kb.FamilyKfunc] = append(out[kb.FamilyKfunc], f.Name)
	}
	for _, f := range o.d.Funcs {
		out[kb.FamilyFunc] = append(out[kb.FamilyFunc], f.Name)
	}
	out[kb.FamilyFunc] = append(out[kb.FamilyFunc], o.d.Kallsyms...)
	for _, t := range o.d.Tracepoints {
		out[kb.FamilyTracepoint] = append(out[kb.FamilyTracepoint], t.Category+":"+t.Name)
	}
	out[kb.FamilyRawTP] = o.d.RawTracepoints
	for _, t := range o.d.Types {
		out[kb.FamilyType] = append(out[kb.FamilyType], t.Name)
	}
	return out
}

func collect[T any](seq func(func(T) bool)) []T {
	var out []T
	for x := range seq {
		out = append(out, x)
	}
	return out
}

func ptrs[T any](xs []T) []*T {
	var out []*T
	for i := range xs {
		out = append(out, &xs[i])
	}
	return out
}

// misspell makes a near miss of a name: a dropped, doubled or swapped
// byte, or a changed one.
func misspell(r *rand.Rand, s string) string {
	if len(s) < 3 {
		return s + "x"
	}
	i := 1 + r.IntN(len(s)-2)
	switch r.IntN(4) {
	case 0:
		return s[:i] + s[i+1:]
	case 1:
		return s[:i] + s[i:i+1] + s[i:]
	case 2:
		return s[:i-1] + s[i:i+1] + s[i-1:i] + s[i+1:]
	}
	return s[:i] + "q" + s[i+1:]
}

// equivalent checks that k answers every lookup over every name of d as
// the schema 5 kb did over d.
func equivalent(t *testing.T, d *kb.Data, k *kb.KB) {
	t.Helper()
	o := newOracle(d)
	errs := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if errs++; errs <= 20 {
			t.Errorf(format, args...)
		}
	}
	same := func(what string, got, want any) {
		t.Helper()
		if reflect.DeepEqual(got, want) {
			return
		}
		g, w := reflect.ValueOf(got), reflect.ValueOf(want)
		if g.Kind() == reflect.Slice && w.Kind() == reflect.Slice {
			if g.Len() != w.Len() {
				fail("%s: %d elements, want %d", what, g.Len(), w.Len())
				return
			}
			for i := range g.Len() {
				if !reflect.DeepEqual(g.Index(i).Interface(), w.Index(i).Interface()) {
					fail("%s: element %d is %+v, want %+v", what, i, g.Index(i).Interface(), w.Index(i).Interface())
					return
				}
			}
		}
		fail("%s: got %+v, want %+v", what, got, want)
	}
	r := rand.New(rand.NewPCG(1, 2))
	// Names that are not there: near misses of real names.
	var misses []string

	same("meta", k.Meta, d.Meta)
	same("prog types", k.ProgTypes, d.ProgTypes)
	attach := d.Attach
	if attach == nil {
		attach = map[string]kb.Support{}
	}
	same("attach", k.Attach, attach)
	for kind, s := range attach {
		same("AttachSupport "+kind, k.AttachSupport(kind), s)
	}
	same("AttachSupport none", k.AttachSupport("no_such_kind"), kb.Support{Supported: kb.Unknown})
	same("HasKallsyms", k.HasKallsyms(), d.Kallsyms != nil)
	same("TracepointsKnown", k.TracepointsKnown(), len(d.Tracepoints) > 0)
	same("counts", []int{k.NumHelpers(), k.NumKfuncs(), k.NumFuncs(), k.NumKallsyms(), k.NumTracepoints(), k.NumRawTracepoints(), k.NumTypes()},
		[]int{len(d.Helpers), len(d.Kfuncs), len(d.Funcs), len(d.Kallsyms), len(d.Tracepoints), len(d.RawTracepoints), len(d.Types)})

	// Iteration in kb order, and names only.
	same("Helpers()", collect(k.Helpers()), ptrs(d.Helpers))
	same("Kfuncs()", collect(k.Kfuncs()), ptrs(d.Kfuncs))
	same("Funcs()", collect(k.Funcs()), ptrs(d.Funcs))
	same("Tracepoints()", collect(k.Tracepoints()), ptrs(d.Tracepoints))
	same("Types()", collect(k.Types()), ptrs(d.Types))
	same("RawTracepoints()", collect(k.RawTracepoints()), d.RawTracepoints)
	same("Kallsyms()", append([]string{}, collect(k.Kallsyms())...), append([]string{}, d.Kallsyms...))
	var fnames, tpPairs, typePairs []string
	for _, f := range d.Funcs {
		fnames = append(fnames, f.Name)
	}
	for _, tp := range d.Tracepoints {
		tpPairs = append(tpPairs, tp.Category+"\x00"+tp.Name)
	}
	for _, ty := range d.Types {
		typePairs = append(typePairs, ty.Kind+"\x00"+ty.Name)
	}
	same("FuncNames()", collect(k.FuncNames()), fnames)
	var got []string
	for a, b := range k.TracepointNames() {
		got = append(got, a+"\x00"+b)
	}
	same("TracepointNames()", got, tpPairs)
	got = nil
	for a, b := range k.TypeNames() {
		got = append(got, a+"\x00"+b)
	}
	same("TypeNames()", got, typePairs)
	for _, p := range []string{"tcp_", "vfs_read", "do_sys_open", "zzz", ""} {
		var want []*kb.Func
		for i := range d.Funcs {
			if strings.HasPrefix(d.Funcs[i].Name, p) {
				want = append(want, &d.Funcs[i])
			}
		}
		same("FuncsWithPrefix "+p, collect(k.FuncsWithPrefix(p)), want)
	}

	progTypes := append(slices.Clone(d.ProgTypes), "no_such_prog_type")
	for _, h := range d.Helpers {
		got, ok := k.Helper(h.Name)
		same("Helper "+h.Name, got, &d.Helpers[o.helper[h.Name]])
		if !ok {
			fail("Helper %s not found", h.Name)
		}
		for _, pt := range progTypes {
			want := kb.No
			if w := &d.Helpers[o.helper[h.Name]]; w.Allowed == nil {
				want = kb.Unknown
			} else {
				want = w.Allowed[pt]
			}
			if g := k.HelperAllowed(h.Name, pt); g != want {
				fail("HelperAllowed(%s, %s) = %v, want %v", h.Name, pt, g, want)
			}
		}
		misses = append(misses, misspell(r, h.Name))
	}
	for _, f := range d.Kfuncs {
		got, ok := k.Kfunc(f.Name)
		same("Kfunc "+f.Name, got, &d.Kfuncs[o.kfunc[f.Name]])
		if !ok {
			fail("Kfunc %s not found", f.Name)
		}
		misses = append(misses, misspell(r, f.Name))
	}
	for i, f := range d.Funcs {
		got, ok := k.Func(f.Name)
		same("Func "+f.Name, got, &d.Funcs[o.fn[f.Name]])
		if !ok {
			fail("Func %s not found", f.Name)
		}
		gf, gt := k.KernelFunc(f.Name)
		wf, wt := o.kernelFunc(f.Name)
		same("KernelFunc "+f.Name, []any{gf, gt}, []any{wf, wt})
		if i%50 == 0 {
			misses = append(misses, misspell(r, f.Name))
		}
	}
	for i, s := range d.Kallsyms {
		gf, gt := k.KernelFunc(s)
		wf, wt := o.kernelFunc(s)
		same("KernelFunc (kallsyms) "+s, []any{gf, gt}, []any{wf, wt})
		if i%100 == 0 {
			misses = append(misses, misspell(r, s))
		}
	}
	for _, tp := range d.Tracepoints {
		got, ok := k.Tracepoint(tp.Category, tp.Name)
		same("Tracepoint "+tp.Category+":"+tp.Name, got, &d.Tracepoints[o.tp[tp.Category+":"+tp.Name]])
		if !ok {
			fail("Tracepoint %s:%s not found", tp.Category, tp.Name)
		}
		var want []*kb.Tracepoint
		for _, i := range o.tpByName[tp.Name] {
			want = append(want, &d.Tracepoints[i])
		}
		same("TracepointsNamed "+tp.Name, k.TracepointsNamed(tp.Name), want)
		misses = append(misses, misspell(r, tp.Name))
	}
	for _, n := range d.RawTracepoints {
		if g := k.RawTracepoint(n); g != kb.Yes {
			fail("RawTracepoint %s = %v", n, g)
		}
		misses = append(misses, misspell(r, n))
	}
	for _, ty := range d.Types {
		for _, kind := range []string{ty.Kind, "", "struct", "union", "enum", "typedef"} {
			got, gok := k.Type(kind, ty.Name)
			want, wok := o.typeOf(kind, ty.Name)
			same("Type "+kind+" "+ty.Name, []any{got, gok}, []any{want, wok})
		}
		got, gok := k.Resolve(ty.Name)
		want, wok := resolveWith(o, ty.Name)
		same("Resolve "+ty.Name, []any{got, gok}, []any{want, wok})
		if ty.Kind == "struct" || ty.Kind == "union" {
			w, _ := o.typeOf(ty.Kind, ty.Name)
			g, _ := k.Type(ty.Kind, ty.Name)
			var wantNames []string
			walkNames(o, w, 0, &wantNames)
			same("MemberNames "+ty.Name, k.MemberNames(g), wantNames)
			for _, mn := range append(wantNames, "no_such_member") {
				gm, gok := k.Member(g, mn)
				wm, wok := o.member(w, mn, 0)
				same("Member "+ty.Name+"."+mn, []any{gm, gok}, []any{wm, wok})
			}
		}
		misses = append(misses, misspell(r, ty.Name))
	}

	// Near misses: absent names answer as before, and Nearest suggests
	// what the schema 5 kb suggested.
	nearest := map[string]func(string, int) []string{}
	for fam, names := range o.familyNames() {
		nearest[fam] = kb.NearestIn(names)
		if fam == kb.FamilyFunc {
			// Function suggestions put the kernel's renames first and
			// drop generated symbols and swapped words.
			nearest[fam] = kb.NearestFuncIn(names)
		}
	}
	step := max(1, len(misses)/400)
	for i, q := range misses {
		if _, ok := o.helper[q]; !ok {
			if _, got := k.Helper(q); got {
				fail("Helper %q found", q)
			}
		}
		if _, ok := o.fn[q]; !ok {
			if _, got := k.Func(q); got {
				fail("Func %q found", q)
			}
		}
		gf, gt := k.KernelFunc(q)
		wf, wt := o.kernelFunc(q)
		same("KernelFunc (miss) "+q, []any{gf, gt}, []any{wf, wt})
		want := kb.Unknown
		if o.raw[q] {
			want = kb.Yes
		} else if len(d.RawTracepoints) > 0 {
			want = kb.No
		}
		same("RawTracepoint "+q, k.RawTracepoint(q), want)
		g, gok := k.Type("", q)
		w, wok := o.typeOf("", q)
		same("Type (miss) "+q, []any{g, gok}, []any{w, wok})
		if i%step == 0 {
			for fam, near := range nearest {
				same("Nearest "+fam+" "+q, k.Nearest(fam, q, 3), near(q, 3))
			}
		}
	}
	same("Nearest unknown family", k.Nearest("no_such_family", "x", 3), []string(nil))
	for _, p := range []string{"tcp_v4_*", "*_connect", "vfs_rea?", "do_sys_open.isra.0", "*", "zzz*", ""} {
		for _, limit := range []int{0, 1, 5} {
			g, gok := k.FuncsMatching(p, limit)
			w, wok := o.funcsMatching(p, limit)
			same("FuncsMatching "+p, []any{g, gok}, []any{w, wok})
		}
	}
	if err := k.Damage(); err != nil {
		t.Errorf("damage found in a sound kb: %v", err)
	}
	if err := k.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if errs > 20 {
		t.Errorf("... %d differences in all", errs)
	}
}

func resolveWith(o *oracle, name string) (*kb.Type, bool) {
	for range 8 {
		t, ok := o.typeOf("", name)
		if !ok {
			return nil, false
		}
		if t.Kind != "typedef" || t.Ref == "" {
			return t, true
		}
		name = t.Ref
	}
	return nil, false
}

func walkNames(o *oracle, t *kb.Type, depth int, out *[]string) {
	if t == nil || depth > 8 {
		return
	}
	for _, m := range t.Members {
		if m.Name != "" {
			*out = append(*out, m.Name)
		} else if m.Ref != "" {
			if inner, ok := o.typeOf(m.RefKind, m.Ref); ok {
				walkNames(o, inner, depth+1, out)
			}
		}
	}
}

var (
	builtOnce sync.Once
	builtData kb.Data
	builtErr  error
)

// hostData is the builder's host kb, built once per test binary.
func hostData(t testing.TB) *kb.Data {
	t.Helper()
	testenv.Require(t, testenv.BTF)
	builtOnce.Do(func() { builtData, builtErr = kb.BuildData(kb.BuildOptions{}) })
	if builtErr != nil {
		t.Fatal(builtErr)
	}
	return &builtData
}

// TestLazyKBAnswersAsDecoded saves the host kb, reopens it memory-mapped
// and checks every lookup over every name against the builder's data.
func TestLazyKBAnswersAsDecoded(t *testing.T) {
	d := hostData(t)
	if len(d.Funcs) == 0 || len(d.Types) == 0 || len(d.Helpers) == 0 {
		t.Fatalf("host kb is empty: %d funcs, %d types, %d helpers", len(d.Funcs), len(d.Types), len(d.Helpers))
	}
	dir := t.TempDir()
	if err := kb.New(*d).Save(dir, false); err != nil {
		t.Fatal(err)
	}
	k, err := kb.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !k.Mapped() {
		t.Fatal("LoadDir did not map the kb file")
	}
	equivalent(t, d, k)
}

// TestNewAnswersAsData covers the kbs tests and builders make with New,
// with the shapes the host may lack: duplicate names (a later one wins,
// except for types), nil against empty, no kallsyms, no tracepoints.
func TestNewAnswersAsData(t *testing.T) {
	f := func(name string, params ...kb.Param) kb.Func {
		return kb.Func{Name: name, Return: "int", Params: params}
	}
	d := kb.Data{
		Meta: kb.Meta{Schema: kb.SchemaVersion, Kernel: "1.2.3", Sources: map[string]string{"a": "b"}},
		Helpers: []kb.Helper{
			{Name: "bpf_a", ID: 1, GPLOnly: kb.Yes, Allowed: map[string]kb.Tri{"kprobe": kb.Yes, "xdp": kb.No}},
			{Name: "bpf_b", ID: 2, Func: &kb.Func{Name: "bpf_b", Return: "long", Params: []kb.Param{}}, Allowed: map[string]kb.Tri{}},
			{Name: "bpf_a", ID: 3},
		},
		Kfuncs: []kb.Kfunc{{Func: f("bpf_k", kb.Param{Name: "p", Type: "struct task_struct *", Ref: "task_struct"}), Flags: []string{"KF_ACQUIRE"}}, {Func: f("bpf_k2"), Flags: []string{}}},
		Funcs:  []kb.Func{f("dup"), f("dup", kb.Param{Name: "x", Type: "int"}), {Name: "v", Return: "void", Variadic: true}},
		Tracepoints: []kb.Tracepoint{
			{Category: "a", Name: "ev", ID: 1, Fields: []kb.Field{{Name: "f", Type: "int", Offset: 8, Size: 4, Signed: true}}},
			{Category: "b", Name: "ev", ID: 2, Fields: []kb.Field{}},
			{Category: "a", Name: "ev", ID: 3},
		},
		RawTracepoints: []string{"r1", "r2"},
		Types: []kb.Type{
			{Kind: "typedef", Name: "t", Target: "struct s", Ref: "s"},
			{Kind: "union", Name: "s", Size: 4, Members: []kb.Member{{Name: "u", Type: "int"}}},
			{Kind: "struct", Name: "s", Size: 16, Members: []kb.Member{{Name: "a", Type: "int"}, {Type: "union s", Ref: "s", RefKind: "union", Offset: 64}}},
			{Kind: "struct", Name: "s", Size: 99},
			{Kind: "enum", Name: "e", Members: []kb.Member{}},
		},
		Attach:    map[string]kb.Support{kb.AttachKprobe: {Supported: kb.No, Reason: "r", Source: kb.FromSysfs}},
		ProgTypes: []string{"kprobe", "xdp"},
	}
	equivalent(t, &d, kb.New(d))
	if h, _ := kb.New(d).Helper("bpf_a"); h.ID != 3 {
		t.Errorf("a later helper of the same name does not win: id %d", h.ID)
	}
	empty := kb.Data{Meta: kb.Meta{Schema: kb.SchemaVersion}, Kallsyms: []string{}}
	equivalent(t, &empty, kb.New(empty))
	equivalent(t, &kb.Data{}, kb.New(kb.Data{}))
}

// first takes up to n records of a family.
func first[T any](seq func(func(*T) bool), n int) []T {
	var out []T
	for x := range seq {
		if len(out) == n {
			break
		}
		out = append(out, *x)
	}
	return out
}

// writeKB saves a small kb, real records from the snapshot, and returns
// its directory and file bytes.
func writeKB(t *testing.T) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	s, err := kb.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	d := kb.Data{Meta: s.Meta, Attach: s.Attach, ProgTypes: s.ProgTypes,
		Helpers: first(s.Helpers(), 50), Kfuncs: first(s.Kfuncs(), 20), Funcs: first(s.Funcs(), 300),
		Tracepoints: first(s.Tracepoints(), 50), Types: first(s.Types(), 300)}
	for n := range s.Kallsyms() {
		if d.Kallsyms = append(d.Kallsyms, n); len(d.Kallsyms) == 300 {
			break
		}
	}
	for n := range s.RawTracepoints() {
		if d.RawTracepoints = append(d.RawTracepoints, n); len(d.RawTracepoints) == 50 {
			break
		}
	}
	if err := kb.New(d).Save(dir, false); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, kb.DataFile))
	if err != nil {
		t.Fatal(err)
	}
	return dir, b
}

// exercise looks up names a damaged kb may or may not still hold: it must
// not crash, whatever the answers.
func exercise(k *kb.KB, names []string) {
	for _, n := range names {
		k.Helper(n)
		k.HelperAllowed(n, "kprobe")
		k.Kfunc(n)
		k.KernelFunc(n)
		k.Tracepoint("syscalls", n)
		k.TracepointsNamed(n)
		k.RawTracepoint(n)
		if t, ok := k.Resolve(n); ok {
			k.MemberNames(t)
			k.Member(t, "pid")
		}
	}
	k.FuncsMatching("tcp_*", 10)
	k.Nearest(kb.FamilyHelper, "bpf_map_lookup", 3)
	k.Nearest(kb.FamilyType, "task_struc", 3)
	for range k.Helpers() {
	}
	for range k.Tracepoints() {
	}
	for range k.TypeNames() {
	}
	for range k.FuncsWithPrefix("tcp_") {
	}
	k.Verify()
}

var probeNames = []string{"bpf_map_lookup_elem", "bpf_probe_read_kernel", "tcp_v4_connect", "vfs_read", "sys_enter_openat",
	"sched_switch", "task_struct", "sock", "sk_buff", "bpf_rcu_read_lock", "do_sys_openat2", "no_such_name"}

// TestDamagedKBFile: a truncated file or a damaged header is an error at
// open; damage anywhere else never crashes a lookup and Verify finds it.
func TestDamagedKBFile(t *testing.T) {
	dir, good := writeKB(t)
	path := filepath.Join(dir, kb.DataFile)
	load := func(b []byte) (*kb.KB, error) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return kb.LoadDir(dir)
	}
	if k, err := load(good); err != nil || k.Verify() != nil {
		t.Fatalf("sound kb: %v", err)
	}
	for _, n := range []int{0, 1, 8, 23, 24, 100, len(good) / 2, len(good) - 1} {
		if _, err := load(good[:n]); err == nil || !strings.Contains(err.Error(), "corrupt kb") {
			t.Errorf("kb truncated to %d bytes: %v", n, err)
		}
	}
	if _, err := load(append(slices.Clone(good), 0)); err == nil {
		t.Error("kb with a byte appended opened")
	}
	// Every byte of the header and the section table matters.
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 24 + 24*21 {
		b := slices.Clone(good)
		b[i] ^= byte(1 + r.IntN(255))
		k, err := load(b)
		if err == nil {
			// A count or checksum byte: lookups stay in bounds and
			// Verify reports the damage.
			exercise(k, probeNames)
			if k.Verify() == nil {
				t.Errorf("byte %d of the header changed and Verify passes", i)
			}
		}
	}
	// Damage in the body: never a crash; Verify always finds it.
	for range 300 {
		b := slices.Clone(good)
		for range 1 + r.IntN(8) {
			b[600+r.IntN(len(b)-600)] ^= byte(1 + r.IntN(255))
		}
		k, err := load(b)
		if err != nil {
			continue
		}
		exercise(k, probeNames)
		if k.Verify() == nil {
			t.Fatal("damage in the body and Verify passes")
		}
	}
}

// FuzzOpen opens arbitrary bytes as a kb file: an error or a kb whose
// lookups stay in bounds.
func FuzzOpen(f *testing.F) {
	d := kb.Data{
		Meta:           kb.Meta{Schema: kb.SchemaVersion},
		Helpers:        []kb.Helper{{Name: "bpf_map_lookup_elem", ID: 1, Func: &kb.Func{Name: "bpf_map_lookup_elem", Params: []kb.Param{{Name: "m", Type: "void *"}}}, Allowed: map[string]kb.Tri{"kprobe": kb.Yes}}},
		Funcs:          []kb.Func{{Name: "vfs_read", Return: "ssize_t"}, {Name: "tcp_v4_connect"}},
		Kallsyms:       []string{"do_sys_openat2", "vfs_read"},
		Tracepoints:    []kb.Tracepoint{{Category: "syscalls", Name: "sys_enter_openat", Fields: []kb.Field{{Name: "dfd", Type: "int"}}}},
		Types:          []kb.Type{{Kind: "struct", Name: "task_struct", Members: []kb.Member{{Name: "pid", Type: "pid_t"}, {Ref: "sock", RefKind: "struct"}}}, {Kind: "struct", Name: "sock"}},
		RawTracepoints: []string{"sched_switch"},
	}
	dir := f.TempDir()
	if err := kb.New(d).Save(dir, false); err != nil {
		f.Fatal(err)
	}
	seed, err := os.ReadFile(filepath.Join(dir, kb.DataFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), kb.DataFile)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		k, err := kb.LoadDir(filepath.Dir(path))
		if err != nil {
			return
		}
		exercise(k, probeNames)
	})
}

// hostCache loads the host kb into a fresh cache, recording warnings.
func hostCache(t *testing.T, cache string, warned *[]string) *kb.KB {
	t.Helper()
	k, err := kb.Load(kb.Options{CacheDir: cache, NoProbe: true, Warn: func(s string) { *warned = append(*warned, s) }})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestDamagedCacheIsRebuilt: Load rebuilds a truncated or damaged cache
// entry, saying so, and the rebuilt entry loads.
func TestDamagedCacheIsRebuilt(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	cache := t.TempDir()
	var warned []string
	k := hostCache(t, cache, &warned)
	path := filepath.Join(k.Dir(), kb.DataFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{good[:len(good)/3], append([]byte("not a kb"), good[8:]...)} {
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		warned = nil
		k2 := hostCache(t, cache, &warned)
		if len(warned) != 1 || !strings.Contains(warned[0], "unreadable") || !strings.Contains(warned[0], "corrupt kb") {
			t.Errorf("damaged cache: warnings %q", warned)
		}
		if k2.NumFuncs() != k.NumFuncs() || k2.Verify() != nil {
			t.Errorf("rebuilt kb: %d funcs, want %d", k2.NumFuncs(), k.NumFuncs())
		}
		if b, _ := os.ReadFile(path); !bytes.Equal(b[:8], good[:8]) || len(b) < len(good)/2 {
			t.Error("the damaged cache file was not replaced")
		}
	}
}

// TestOldSchemaCacheIsRebuilt: a cache of an older schema, in this format
// or in the gob file of schema 5 and before, is rebuilt with a note.
func TestOldSchemaCacheIsRebuilt(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	cache := t.TempDir()
	var warned []string
	k := hostCache(t, cache, &warned)
	path := filepath.Join(k.Dir(), kb.DataFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(b[8:], kb.SchemaVersion-1)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	warned = nil
	hostCache(t, cache, &warned)
	want := "has schema " + strconv.Itoa(kb.SchemaVersion-1) + ", this kgent reads schema " + strconv.Itoa(kb.SchemaVersion) + ": rebuilding"
	if len(warned) != 1 || !strings.Contains(warned[0], want) {
		t.Errorf("old schema cache: warnings %q, want one with %q", warned, want)
	}
	if _, err := kb.LoadDir(k.Dir()); err != nil {
		t.Errorf("rebuilt cache does not load: %v", err)
	}

	// A schema 5 cache entry holds kb.gob and no kb.bin.
	old := filepath.Join(k.Dir(), kb.OldDataFile)
	if err := os.Rename(path, old); err != nil {
		t.Fatal(err)
	}
	warned = nil
	hostCache(t, cache, &warned)
	if len(warned) != 1 || !strings.Contains(warned[0], "gob format of schema 5 and before") {
		t.Errorf("gob cache: warnings %q", warned)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the replaced %s is still there: %v", kb.OldDataFile, err)
	}
	// A profile in the old format is not rebuilt: it says how to.
	prof := t.TempDir()
	if err := os.WriteFile(filepath.Join(prof, kb.OldDataFile), []byte("gob"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := kb.Load(kb.Options{Dir: prof}); err == nil || !strings.Contains(err.Error(), "kgent kb build --out") {
		t.Errorf("old profile: %v", err)
	}
}

// BenchmarkOpen opens the cached host kb and looks up a helper and a
// tracepoint: what a check pays before its own work.
func BenchmarkOpen(b *testing.B) {
	dir := host(b).Dir()
	for b.Loop() {
		k, err := kb.LoadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := k.Helper("bpf_map_lookup_elem"); !ok {
			b.Fatal("no helper")
		}
		if _, ok := k.Tracepoint("syscalls", "sys_enter_openat"); !ok && k.TracepointsKnown() {
			b.Fatal("no tracepoint")
		}
	}
}

// BenchmarkHeapAfterOpen reports the heap an open kb holds (the mapped
// file is not heap).
func BenchmarkHeapAfterOpen(b *testing.B) {
	dir := host(b).Dir()
	var keep []*kb.KB
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		k, err := kb.LoadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		k.Helper("bpf_map_lookup_elem")
		k.Tracepoint("syscalls", "sys_enter_openat")
		runtime.GC()
		runtime.ReadMemStats(&after)
		keep = append(keep[:0], k)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1024, "heapKB")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/1024, "allocKB")
	}
	runtime.KeepAlive(keep)
}

// TestHostSumRemembered: the host BTF's sha256 names the cache entry; it
// is remembered per boot, and a wrong remembered sum costs a hash, never a
// wrong kb or a rebuild.
func TestHostSumRemembered(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	raw, err := os.ReadFile(kb.HostBTF)
	if err != nil {
		t.Fatal(err)
	}
	sum := fmt.Sprintf("%x", sha256.Sum256(raw))
	cache := t.TempDir()
	var warned []string
	k := hostCache(t, cache, &warned)
	memo := filepath.Join(cache, "host-btf.sum")
	b, err := os.ReadFile(memo)
	if err != nil {
		t.Fatal(err)
	}
	key, got, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if got != sum || k.Meta.BTFSHA256 != sum || filepath.Base(k.Dir()) != "host-"+sum[:16] {
		t.Fatalf("remembered %q, kb %q, entry %s; the BTF's sum is %s", got, k.Meta.BTFSHA256, k.Dir(), sum)
	}
	wrong := strings.Repeat("ab", 32)
	for _, m := range []string{key + "\n" + wrong + "\n", "boot another\n" + wrong + "\n", "garbage"} {
		if err := os.WriteFile(memo, []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
		warned = nil
		k2 := hostCache(t, cache, &warned)
		if k2.Meta.BuiltAt != k.Meta.BuiltAt || k2.Dir() != k.Dir() || len(warned) != 0 {
			t.Errorf("memo %q: kb from %s built %s (want the cached %s), warnings %q", m, k2.Dir(), k2.Meta.BuiltAt, k.Meta.BuiltAt, warned)
		}
		if b, _ := os.ReadFile(memo); !strings.HasSuffix(strings.TrimSpace(string(b)), sum) {
			t.Errorf("memo %q was not corrected: %q", m, b)
		}
	}
}

// TestConcurrentLookups: decoded-record caches and name indexes are
// filled by concurrent lookups (run with -race) and agree with a lone one.
func TestConcurrentLookups(t *testing.T) {
	_, b := writeKB(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, kb.DataFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	k, err := kb.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for kind, name := range k.TypeNames() {
		names = append(names, kind+" "+name)
	}
	var wg sync.WaitGroup
	got := make([][]string, 4)
	for g := range got {
		wg.Go(func() {
			for _, n := range names {
				kind, name, _ := strings.Cut(n, " ")
				ty, ok := k.Type(kind, name)
				if !ok {
					got[g] = append(got[g], "missing "+n)
					continue
				}
				got[g] = append(got[g], strings.Join(k.MemberNames(ty), ","))
			}
			got[g] = append(got[g], k.Nearest(kb.FamilyType, "task_struc", 3)...)
		})
	}
	wg.Wait()
	for g := range got[1:] {
		if !slices.Equal(got[g+1], got[0]) {
			t.Fatalf("goroutine %d answered differently", g+1)
		}
	}
}
