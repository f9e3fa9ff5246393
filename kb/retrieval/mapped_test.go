package retrieval

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/kb/examples"
)

// sameResults compares two rankings. Documents of equal score may come in
// either order from chromem-go (it ranks a map's documents in parallel),
// so within a run of equal scores the documents are compared as sets, and
// in a last run that n may have cut, only the scores.
func sameResults(t *testing.T, what string, want, got []Result, n int) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("%s: %d results built, %d loaded:\n%v\n%v", what, len(want), len(got), want, got)
		return
	}
	for i := 0; i < len(want); {
		j := i
		for j < len(want) && want[j].Score == want[i].Score {
			j++
		}
		for k := i; k < j; k++ {
			if got[k].Score != want[i].Score {
				t.Errorf("%s: result %d scores %v built, %v loaded", what, k, want[i].Score, got[k].Score)
				return
			}
		}
		if j < len(want) || len(want) < n {
			key := func(r Result) string {
				return r.Kind + "\x00" + r.ID + "\x00" + r.Title + "\x00" + r.Content + "\x00" + r.Dialect
			}
			a, b := make([]string, 0, j-i), make([]string, 0, j-i)
			for k := i; k < j; k++ {
				a, b = append(a, key(want[k])), append(b, key(got[k]))
			}
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(a, b) {
				t.Errorf("%s: results %d-%d differ:\n%v\n%v", what, i, j-1, want[i:j], got[i:j])
				return
			}
		}
		i = j
	}
}

// hostQueries are queries for every kind, taken from the host kb and the
// corpus: names as they are, their words, and requests in words.
func hostQueries(t *testing.T, k *kb.KB, exs []examples.Example) []string {
	var qs []string
	for i, e := range exs {
		if i%2 == 0 {
			qs = append(qs, e.Title)
		} else {
			qs = append(qs, e.Description)
		}
	}
	for _, q := range loadQueries(t, "heldout.json") {
		qs = append(qs, q.Query)
	}
	every := func(n int, names []string) {
		for i := 0; i < len(names); i += max(1, len(names)/n) {
			qs = append(qs, names[i], strings.ReplaceAll(names[i], "_", " "))
		}
	}
	var hs, ks, tps, fs []string
	for h := range k.Helpers() {
		hs = append(hs, h.Name)
	}
	for f := range k.Kfuncs() {
		ks = append(ks, f.Name)
	}
	for tp := range k.Tracepoints() {
		tps = append(tps, tp.Category+":"+tp.Name)
	}
	for f := range k.Funcs() {
		fs = append(fs, f.Name)
	}
	every(15, hs)
	every(15, ks)
	every(20, tps)
	every(50, fs)
	qs = append(qs, "vfs read", "tcp_v4_connect", "kfree_skb", "sched switch", "xyzzy plugh", "进程打开文件", "how long do disk reads take",
		"the", "a b c", "__x64_sys_openat", "bpf", "read", "lock")
	return qs
}

// TestLoadedAnswersAsBuilt builds the host kernel's index in memory,
// saves it, loads it (the functions' index and the statistics mapped
// from the index file) and checks that both answer every query of every
// kind alike.
func TestLoadedAnswersAsBuilt(t *testing.T) {
	k := testenv.HostKB(t)
	exs := corpus(t)
	ctx := context.Background()
	built, err := Build(ctx, k, exs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ix")
	if err := built.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir, EmbeddingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := loaded.funcs.(*mappedFuncs); !ok {
		t.Fatalf("the loaded functions' index is a %T, not the mapped file", loaded.funcs)
	}
	for kind, st := range loaded.stats {
		if st.DF != nil || st.file == nil {
			t.Fatalf("the loaded statistics of %s are not the mapped file's", kind)
		}
	}
	for _, kind := range Kinds {
		if built.Count(kind) != loaded.Count(kind) || built.Count(kind) == 0 {
			t.Fatalf("%s: %d documents built, %d loaded", kind, built.Count(kind), loaded.Count(kind))
		}
	}
	qs := hostQueries(t, k, exs)
	answered := 0
	for _, kind := range Kinds {
		for _, q := range qs {
			for _, lang := range []string{"", "c"} {
				if lang != "" && kind != KindExamples {
					continue
				}
				want, werr := built.Search(ctx, kind, q, 8, lang)
				got, gerr := loaded.Search(ctx, kind, q, 8, lang)
				what := fmt.Sprintf("%s %q %s", kind, q, lang)
				if fmt.Sprint(werr) != fmt.Sprint(gerr) {
					t.Errorf("%s: built %v, loaded %v", what, werr, gerr)
					continue
				}
				if kind == KindFunctions && !slices.Equal(want, got) {
					// The functions' ranking breaks ties by name: equal.
					t.Errorf("%s:\n%v\n%v", what, want, got)
				}
				sameResults(t, what, want, got, 8)
				if len(want) > 0 {
					answered++
				}
			}
		}
	}
	if n := len(loaded.db.ListCollections()); n != 0 {
		t.Fatalf("the loaded index searched %d chromem-go collections, not the mapped file", n)
	}
	if answered < len(qs) {
		t.Fatalf("only %d searches of %d queries over %d kinds found anything", answered, len(qs), len(Kinds))
	}
}

// smallKB is a kb with a few of every kind, enough for an index file of
// every section.
func smallKB() *kb.KB {
	var fs []kb.Func
	for _, n := range []string{"vfs_read", "vfs_write", "tcp_v4_connect", "tcp_v6_connect", "do_sys_openat2", "kfree_skb_reason", "schedule", "__x64_sys_read"} {
		fs = append(fs, kb.Func{Name: n, Return: "int", Params: []kb.Param{{Name: "x", Type: "struct file *"}}})
	}
	return kb.New(kb.Data{
		Meta:    kb.Meta{Schema: kb.SchemaVersion, Kernel: "6.1.0-test", Source: "btf-file", BTFSHA256: "small"},
		Funcs:   fs,
		Helpers: []kb.Helper{{Name: "bpf_map_lookup_elem", ID: 1, Func: &kb.Func{Name: "bpf_map_lookup_elem", Return: "void *"}}, {Name: "bpf_ktime_get_ns", ID: 5}},
		Kfuncs:  []kb.Kfunc{{Func: kb.Func{Name: "bpf_task_from_pid", Return: "struct task_struct *"}, Flags: []string{"KF_ACQUIRE"}}},
		Tracepoints: []kb.Tracepoint{{Category: "skb", Name: "kfree_skb", ID: 1, Fields: []kb.Field{{Name: "skbaddr", Type: "void *"}}},
			{Category: "syscalls", Name: "sys_enter_openat", ID: 2}},
	})
}

// searchAll answers one query of every kind.
func searchAll(t *testing.T, ix *Index) [][]Result {
	var out [][]Result
	for _, kind := range Kinds {
		for _, q := range []string{"tcp connect", "vfs read", "dropped packets", "map lookup"} {
			rs, err := ix.Search(context.Background(), kind, q, 3, "")
			if err != nil {
				t.Fatalf("%s %q: %v", kind, q, err)
			}
			out = append(out, rs)
		}
	}
	return out
}

// A damaged index file (truncated, a byte changed anywhere in its header,
// directory or sections, another format, not an index file at all) is an
// error for Load and a rebuild, with a warning, for Open; never a panic
// or a wrong answer.
func TestDamagedIndexFileRebuilt(t *testing.T) {
	k, exs := smallKB(), corpus(t)
	cache := t.TempDir()
	var warnings []string
	built := 0
	opts := Options{CacheDir: cache, Warn: func(s string) { warnings = append(warnings, s) }, Progress: func(string) { built++ }}
	ix, err := Open(context.Background(), k, exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Count(KindFunctions) != 8 || ix.Count(KindTracepoints) != 2 {
		t.Fatalf("small index: %d functions, %d tracepoints", ix.Count(KindFunctions), ix.Count(KindTracepoints))
	}
	want := searchAll(t, ix)
	path := filepath.Join(ix.Dir, indexFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(ix.Dir, manifestFile))
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseIndex(good)
	if err != nil {
		t.Fatal(err)
	}
	// Damage: truncations, one byte changed in every byte of the header
	// and the directory, and in the middle of every section.
	damaged := map[string][]byte{
		"empty":   {},
		"garbage": []byte("this is not an index file at all, it is a note"),
	}
	for _, n := range []int{4, ixHeaderSize - 1, ixHeaderSize, ixHeaderSize + ixEntrySize, len(good) / 2, len(good) - 1} {
		damaged[fmt.Sprintf("truncated to %d bytes", n)] = good[:n]
	}
	damaged["a byte longer"] = append(slices.Clone(good), 0)
	damaged["gone"] = nil
	other := slices.Clone(good)
	binary.LittleEndian.PutUint32(other[8:], formatVersion+1)
	damaged["another format"] = other
	// One byte changed: flips[what] is its offset.
	flips := map[string]int{}
	dirEnd := ixHeaderSize + len(f.secs)*ixEntrySize
	for i := range dirEnd {
		flips[fmt.Sprintf("byte %d of the header or directory", i)] = i
	}
	for name, s := range f.secs {
		if len(s) > 0 {
			flips["section "+name] = cap(good) - cap(s) + len(s)/2
		}
	}
	for what := range flips {
		damaged[what] = nil
	}
	// Load and search are tried on all of them; Open, which rebuilds, on
	// the named ones and a sample of the others.
	rebuild := func(what string) bool {
		i, ok := flips[what]
		return !ok || i%29 == 0
	}
	flipped := slices.Clone(good)
	undetected := 0
	for what, b := range damaged {
		if i, ok := flips[what]; ok {
			flipped[i] ^= 0x41
			b = flipped
		}
		// As Save does: a new file renamed into place, never a mapped
		// file rewritten. The index may have been removed by the last
		// round: it is put back as it was, but for the damage.
		if err := os.MkdirAll(ix.Dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ix.Dir, manifestFile), manifest, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+".new", b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
		if what == "gone" {
			os.Remove(path)
		}
		if i, ok := flips[what]; ok {
			flipped[i] ^= 0x41
		}
		loaded, err := Load(ix.Dir, EmbeddingConfig{})
		if err == nil {
			// The header and directory are sound: the first search of
			// the damaged section's kind finds the damage, and removes
			// the index.
			var serr error
			for _, kind := range Kinds {
				if _, serr = loaded.Search(context.Background(), kind, "tcp connect", 3, ""); serr != nil {
					break
				}
			}
			if serr == nil {
				// Possible only when the damage changes nothing read:
				// a section of zeros moved onto other zeros.
				undetected++
				t.Logf("undetected: %s", what)
				if got := searchAll(t, loaded); !slices.EqualFunc(want, got, slices.Equal) {
					t.Errorf("%s: loaded, and answers differently", what)
				}
				continue
			}
			if !strings.Contains(serr.Error(), "damaged") || !strings.Contains(serr.Error(), ix.Dir) || !strings.Contains(serr.Error(), "rebuilds") {
				t.Errorf("%s: search error %v", what, serr)
			}
			if _, err := os.Stat(ix.Dir); err == nil {
				t.Errorf("%s: the damaged index is still there", what)
			}
		}
		if !rebuild(what) {
			continue
		}
		// The next Open rebuilds it, saying why when it found it.
		warnings, built = nil, 0
		ix2, err := Open(context.Background(), k, exs, opts)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if loaded != nil && (built == 0 || len(warnings) != 0) {
			t.Errorf("%s: after the search removed it: built %d, warnings %q", what, built, warnings)
		}
		if loaded == nil && (built == 0 || len(warnings) != 1 || !strings.Contains(warnings[0], "rebuilding") || !strings.Contains(warnings[0], ix.Dir)) {
			t.Errorf("%s: built %d, warnings %q", what, built, warnings)
		}
		if got := searchAll(t, ix2); !slices.EqualFunc(want, got, slices.Equal) {
			t.Errorf("%s: the rebuilt index answers differently", what)
		}
		if b, err := os.ReadFile(path); err != nil || !slices.Equal(b, good) {
			t.Errorf("%s: the rebuilt index file differs from the first: %v", what, err)
		}
	}
	if undetected > len(damaged)/100 {
		t.Errorf("%d of %d damaged files went unnoticed", undetected, len(damaged))
	}
}

// An index of format 1 (a manifest without a format, the gob statistics)
// is not read: it is rebuilt in its place, with a warning that says why.
func TestOldFormatIndexRebuilt(t *testing.T) {
	k, exs := smallKB(), corpus(t)
	cache := t.TempDir()
	ix, err := Open(context.Background(), k, exs, Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	want := searchAll(t, ix)
	// Make it look like format 1.
	m, err := os.ReadFile(filepath.Join(ix.Dir, manifestFile))
	if err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(string(m), fmt.Sprintf(`"format": %d,`, formatVersion), "", 1)
	if old == string(m) {
		t.Fatalf("no format in the manifest: %s", m)
	}
	os.WriteFile(filepath.Join(ix.Dir, manifestFile), []byte(old), 0o644)
	os.Remove(filepath.Join(ix.Dir, indexFile))
	os.WriteFile(filepath.Join(ix.Dir, statsFile), []byte("a gob of format 1"), 0o644)
	if !ours(ix.Dir, false) {
		t.Fatal("a format 1 index is not recognised as kgent's")
	}
	var warnings []string
	built := 0
	again, err := Open(context.Background(), k, exs, Options{CacheDir: cache, Warn: func(s string) { warnings = append(warnings, s) }, Progress: func(string) { built++ }})
	if err != nil {
		t.Fatal(err)
	}
	if built == 0 || len(warnings) != 1 || !strings.Contains(warnings[0], "format 1") || !strings.Contains(warnings[0], "rebuilding") {
		t.Fatalf("built %d, warnings %q", built, warnings)
	}
	if again.Dir != ix.Dir {
		t.Fatalf("rebuilt in %s, not in place of %s", again.Dir, ix.Dir)
	}
	if _, err := os.Stat(filepath.Join(ix.Dir, statsFile)); err == nil {
		t.Error("the format 1 statistics were kept")
	}
	if got := searchAll(t, again); !slices.EqualFunc(want, got, slices.Equal) {
		t.Error("the rebuilt index answers differently")
	}
	// And it is loaded, not rebuilt, from now on.
	warnings, built = nil, 0
	if _, err := Open(context.Background(), k, exs, Options{CacheDir: cache, Warn: func(s string) { warnings = append(warnings, s) }, Progress: func(string) { built++ }}); err != nil || built != 0 || len(warnings) != 0 {
		t.Fatalf("after the rebuild: %v, built %d, warnings %q", err, built, warnings)
	}
}

// A process that finds its shared index damaged (by a search: the header
// was sound) gets the error once; the next Shared opens it again, which
// rebuilds it.
func TestSharedReopensDamagedIndex(t *testing.T) {
	t.Setenv("KGENT_INDEX_DIR", t.TempDir())
	t.Setenv("KGENT_EMBED_BASE_URL", "")
	ctx := context.Background()
	k := smallKB()
	built, err := Shared(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	want, err := built.Search(ctx, KindTracepoints, "dropped packets", 3, "")
	if err != nil || len(want) == 0 {
		t.Fatalf("%v %v", want, err)
	}
	// Another process: it loads the persisted index, damaged meanwhile
	// in a tracepoint's vector.
	shared.mu.Lock()
	shared.m, shared.order = nil, nil
	shared.mu.Unlock()
	path := filepath.Join(built.Dir, indexFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	v := f.secs[KindTracepoints+".vecs.f32"]
	b[cap(b)-cap(v)+len(v)/2] ^= 0x40
	os.WriteFile(path+".new", b, 0o644)
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	loaded, err := Shared(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.file == nil {
		t.Fatal("the second Shared did not load the persisted index")
	}
	if _, err := loaded.Search(ctx, KindTracepoints, "dropped packets", 3, ""); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("a damaged vector searched: %v", err)
	}
	again, err := Shared(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if again == loaded {
		t.Fatal("Shared kept the damaged index")
	}
	got, err := again.Search(ctx, KindTracepoints, "dropped packets", 3, "")
	if err != nil || !slices.Equal(want, got) {
		t.Fatalf("after reopening: %v %v, want %v", got, err, want)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the index was not rebuilt: %v", err)
	}
}
