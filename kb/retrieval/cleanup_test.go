package retrieval

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb/examples"
)

// userFolders fills dir with what a user might keep in a directory they
// point KGENT_INDEX_DIR at, including names kgent's older cleanup matched
// (".index-*", any directory beyond the newest three) and a folder named
// like an index, with a manifest that is not kgent's. It returns the
// paths of the user's files.
func userFolders(t *testing.T, dir string) []string {
	t.Helper()
	old := time.Now().Add(-3 * time.Hour)
	var files []string
	add := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	for i := range 5 {
		add(filepath.Join("project"+strconv.Itoa(i), "notes.txt"), "mine")
	}
	add(filepath.Join(".index-backup", "data.txt"), "mine")
	add(filepath.Join(".kgent-index-123", "plan.txt"), "mine")
	add(filepath.Join("0123456789abcdef0123", manifestFile), `{"key": "not kgent's"}`)
	add(filepath.Join("89abcdef0123456789ab", manifestFile), `{"key": "89abcdef0123456789ab0000000000000000000000000000000000000000beef"}`)
	add(filepath.Join("89abcdef0123456789ab", "thesis.tex"), "mine")
	// Files named as an index's, but no manifest: not an index.
	add(filepath.Join("0123456789abcdef0124", indexFile), "mine")
	add(filepath.Join("0123456789abcdef0124", collectionsFile), "mine")
	add(filepath.Join("fedcba9876543210fedc", indexFile), "mine")
	add(filepath.Join("fedcba9876543210fedc", statsFile), "mine")
	add(filepath.Join("fedcba9876543210fedc", manifestFile), `{"key": "0000000000000000000000000000000000000000000000000000000000000000"}`)
	add("README", "mine")
	for _, rel := range []string{"project0", "project1", "project2", "project3", "project4", ".index-backup", ".kgent-index-123", "0123456789abcdef0123", "89abcdef0123456789ab", "0123456789abcdef0124", "fedcba9876543210fedc"} {
		os.Chtimes(filepath.Join(dir, rel), old, old)
	}
	return files
}

func survive(t *testing.T, files []string) {
	t.Helper()
	for _, f := range files {
		if b, err := os.ReadFile(f); err != nil || !strings.Contains(string(b), "mine") && !strings.Contains(string(b), "key") {
			t.Errorf("the user's %s is gone or changed: %v", f, err)
		}
	}
}

// Rebuilding indexes in a directory that holds the user's folders removes
// only kgent's older indexes, never the user's folders; kgent's own are
// still pruned to the newest few.
func TestIndexCleanupKeepsUserFolders(t *testing.T) {
	dir := t.TempDir()
	files := userFolders(t, dir)
	exs := corpus(t)
	var dirs []string
	for i := range 6 {
		changed := append(slices.Clone(exs), examples.Example{Slug: "bt-extra-" + strconv.Itoa(i), Dialect: "bpftrace", Source: "BEGIN { }",
			Title: "Extra " + strconv.Itoa(i), Description: "an extra example", Probes: []string{"BEGIN"}})
		ix, err := Open(context.Background(), nil, changed, Options{CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, ix.Dir)
		// Older indexes look older, as they would after real use.
		at := time.Now().Add(time.Duration(i-10) * time.Minute)
		os.Chtimes(ix.Dir, at, at)
	}
	if _, err := Open(context.Background(), nil, exs, Options{CacheDir: dir, Rebuild: true}); err != nil {
		t.Fatal(err)
	}
	survive(t, files)
	left := 0
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			left++
		}
	}
	if left > 4 || left == 0 {
		t.Fatalf("%d of kgent's 6 older indexes left, want the newest 3 or 4", left)
	}
	// A half-written index of kgent's, an hour old, is removed too.
	tmp, _ := os.MkdirTemp(dir, tempPrefix)
	os.WriteFile(filepath.Join(tmp, partialFile), nil, 0o600)
	os.WriteFile(filepath.Join(tmp, statsFile), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(tmp, indexFile), []byte("x"), 0o644)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(tmp, old, old)
	if _, err := Open(context.Background(), nil, exs, Options{CacheDir: dir, Rebuild: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); err == nil {
		t.Error("kgent's stale half-written index was kept")
	}
	survive(t, files)
}

// The default index directory is inside the kb cache.
func TestDefaultIndexDirInsideKBCache(t *testing.T) {
	kbDir := filepath.Join(t.TempDir(), "kb")
	t.Setenv("KGENT_KB_DIR", kbDir)
	t.Setenv("KGENT_INDEX_DIR", "")
	if d := DefaultCacheDir(); d != filepath.Join(kbDir, "index") {
		t.Fatalf("default index dir %s, want inside %s", d, kbDir)
	}
}

// An index directory another user owns, or others can write, is neither
// read nor written: a planted index is not used; search still works from
// an index built in memory, with a warning naming the directory.
func TestIndexDirNotOwnedRefused(t *testing.T) {
	testenv.Require(t, testenv.Root)
	exs := corpus(t)
	for _, tc := range []struct {
		name  string
		setup func(dir string) error
	}{
		{"group-writable", func(dir string) error { return os.Chmod(dir, 0o775) }},
		{"another user's", func(dir string) error {
			return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
				if err != nil {
					return err
				}
				return os.Lchown(p, 65534, 65534)
			})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "index")
			ix, err := Open(context.Background(), nil, exs, Options{CacheDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			// Plant: the persisted index now answers with a fake example.
			if err := os.WriteFile(filepath.Join(ix.Dir, manifestFile), []byte(`{"key":"`+ix.Manifest.Key+`","embedding":"`+ix.Manifest.Embedding+`","counts":{}}`), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			var warnings []string
			again, err := Open(context.Background(), nil, exs, Options{CacheDir: dir, Warn: func(s string) { warnings = append(warnings, s) }})
			if err != nil {
				t.Fatal(err)
			}
			if again.Dir != "" || len(warnings) != 1 || !strings.Contains(warnings[0], dir) || !strings.Contains(warnings[0], "KGENT_INDEX_DIR") {
				t.Fatalf("dir %q, warnings %q", again.Dir, warnings)
			}
			if rs, err := again.Search(context.Background(), KindExamples, "tcp retransmissions", 1, ""); err != nil || len(rs) != 1 {
				t.Fatalf("search from memory: %v %v", rs, err)
			}
		})
	}
}

// The environment's OPENAI_API_KEY belongs to its LLM endpoint: an
// embedding endpoint elsewhere does not get it (a warning says so, without
// the key); KGENT_EMBED_API_KEY is that endpoint's own key.
func TestEmbeddingKeyBoundToItsEndpoint(t *testing.T) {
	const key = "sk-embed-bound-0123456789abcdef"
	srv, _ := fakeEmbeddings(t, key, nil)
	exs := corpus(t)[:5]
	t.Setenv("KGENT_EMBED_BASE_URL", srv.URL+"/v1")
	t.Setenv("KGENT_EMBED_MODEL", "fake-embed")
	t.Setenv("KGENT_LLM_BASE_URL", "")
	t.Setenv("KGENT_EMBED_API_KEY", "")
	t.Setenv("OPENAI_API_KEY", key)
	var warnings []string
	_, err := Build(context.Background(), nil, exs, Options{Embedding: EmbeddingFromEnv(), Warn: func(s string) { warnings = append(warnings, s) }})
	if err == nil {
		t.Fatal("the embedding endpoint accepted a request: it got the LLM endpoint's key")
	}
	if strings.Contains(err.Error(), key) || len(warnings) != 1 || strings.Contains(warnings[0], key) || !strings.Contains(warnings[0], "KGENT_EMBED_API_KEY") {
		t.Fatalf("error %v, warnings %q", err, warnings)
	}
	// The same key named as the embedding endpoint's own: it is sent.
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("KGENT_EMBED_API_KEY", key)
	warnings = nil
	if _, err := Build(context.Background(), nil, exs, Options{Embedding: EmbeddingFromEnv(), Warn: func(s string) { warnings = append(warnings, s) }}); err != nil || len(warnings) != 0 {
		t.Fatalf("%v %q", err, warnings)
	}
	// A flag naming another endpoint: not sent there.
	emb := EmbeddingFromEnv()
	emb.BaseURL = "http://127.0.0.1:1/v1"
	warnings = nil
	Build(context.Background(), nil, exs, Options{Embedding: emb, Warn: func(s string) { warnings = append(warnings, s) }})
	if len(warnings) != 1 {
		t.Fatalf("flag endpoint: warnings %q", warnings)
	}
}

// Every file Save writes is one ours knows, so kgent can remove its own
// indexes; a file it does not know, or a link in place of one it does,
// makes the directory the user's, and nothing in it is removed.
func TestOursKnowsEveryFileSaveWrites(t *testing.T) {
	cache := t.TempDir()
	ix, err := Open(context.Background(), smallKB(), corpus(t), Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(ix.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
		if !slices.Contains(ourFiles, e.Name()) {
			t.Errorf("Save wrote %s, which ours does not know", e.Name())
		}
	}
	if !slices.Contains(names, indexFile) || !slices.Contains(names, manifestFile) {
		t.Fatalf("the index holds %q", names)
	}
	if !ours(ix.Dir, false) {
		t.Fatal("a finished index is not ours")
	}
	// A user's file inside: not ours, and it stays.
	note := filepath.Join(ix.Dir, "notes.txt")
	os.WriteFile(note, []byte("mine"), 0o644)
	if ours(ix.Dir, false) || removeOurs(ix.Dir, false) {
		t.Fatal("an index holding the user's file was taken for kgent's")
	}
	if _, err := os.Stat(note); err != nil {
		t.Fatal("the user's file is gone")
	}
	os.Remove(note)
	// A link where the index file was: not ours; the file it names stays.
	target := filepath.Join(t.TempDir(), "precious")
	os.WriteFile(target, []byte("mine"), 0o644)
	os.Remove(filepath.Join(ix.Dir, indexFile))
	if err := os.Symlink(target, filepath.Join(ix.Dir, indexFile)); err != nil {
		t.Fatal(err)
	}
	if ours(ix.Dir, false) || removeOurs(ix.Dir, false) {
		t.Fatal("an index with a link in it was taken for kgent's")
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "mine" {
		t.Fatal("the linked file is gone or changed")
	}
	// With the link gone it is kgent's again, and removed whole.
	os.Remove(filepath.Join(ix.Dir, indexFile))
	if !removeOurs(ix.Dir, false) {
		t.Fatal("kgent's own index was not removed")
	}
	if _, err := os.Stat(ix.Dir); err == nil {
		t.Fatal("the index directory is still there")
	}
}
