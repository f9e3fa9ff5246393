package kb_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// noHome clears every variable that names a cache, and points the
// temporary directory at a fresh one of the test's.
func noHome(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("KGENT_KB_DIR", "")
	t.Setenv("TMPDIR", tmp)
	return tmp
}

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// Without HOME and XDG_CACHE_HOME the cache is a per-user directory,
// created private, never a directory every user shares.
func TestCacheDirWithoutHome(t *testing.T) {
	tmp := noHome(t)
	dir := kb.CacheDir()
	base := filepath.Join(tmp, "kgent-"+strconv.Itoa(os.Geteuid()))
	if dir != filepath.Join(base, "kb") {
		t.Fatalf("cache dir %s, want %s/kb", dir, base)
	}
	if err := kb.PrivateDir(dir); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, base); m != 0o700 {
		t.Errorf("%s has mode %04o, want 0700", base, m)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("%s has mode %04o, want 0700", dir, m)
	}
}

// A per-user directory someone else created first is not used.
func TestCacheDirOfAnotherUserRefused(t *testing.T) {
	testenv.Require(t, testenv.Root)
	tmp := noHome(t)
	base := filepath.Join(tmp, "kgent-"+strconv.Itoa(os.Geteuid()))
	if err := os.Mkdir(base, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o777)
	if err := os.Chown(base, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	btf := filepath.Join(tmp, "some.btf")
	os.WriteFile(btf, []byte("not btf"), 0o644)
	_, err := kb.Load(kb.Options{BTFFile: btf})
	if err == nil || !strings.Contains(err.Error(), base) || !strings.Contains(err.Error(), "uid 65534") {
		t.Fatalf("want a refusal naming %s and its owner, got %v", base, err)
	}
	if ents, _ := os.ReadDir(base); len(ents) != 0 {
		t.Fatalf("kgent wrote into another user's directory: %v", ents)
	}
}

// plant saves a kb that says it was planted where Load will look for the
// kb of btf, and returns that entry's directory.
func plant(t *testing.T, cache, btf string) string {
	t.Helper()
	k := kb.New(kb.Data{Meta: kb.Meta{Schema: kb.SchemaVersion, Kernel: "PLANTED", Source: "btf-file"}})
	// The entry name is what Load derives from the BTF file's sha256.
	data, err := os.ReadFile(btf)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	name := "btf-" + hex.EncodeToString(sum[:])[:16]
	dir := filepath.Join(cache, name)
	if err := k.Save(dir, false); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A kb planted in a cache others can write, or owned by someone else in
// the user's own cache, is never loaded; the same file owned by the user
// is (the control).
func TestPlantedKBNotLoaded(t *testing.T) {
	testenv.Require(t, testenv.Root)
	tmp := t.TempDir()
	btf := filepath.Join(tmp, "target.btf")
	os.WriteFile(btf, []byte("not btf, only hashed"), 0o644)

	// The control: the user's own private cache is used.
	own := filepath.Join(tmp, "own")
	plant(t, own, btf)
	os.Chmod(own, 0o700)
	k, err := kb.Load(kb.Options{BTFFile: btf, CacheDir: own})
	if err != nil || k.Meta.Kernel != "PLANTED" {
		t.Fatalf("control: the user's own cache entry was not loaded: %v", err)
	}

	// Group-writable cache: refused with the path and the fix.
	shared := filepath.Join(tmp, "shared")
	plant(t, shared, btf)
	os.Chmod(shared, 0o775)
	k, err = kb.Load(kb.Options{BTFFile: btf, CacheDir: shared})
	if err == nil || k != nil || !strings.Contains(err.Error(), shared) || !strings.Contains(err.Error(), "KGENT_KB_DIR") {
		t.Fatalf("group-writable cache: %v %v", k, err)
	}

	// Cache owned by someone else: refused.
	foreign := filepath.Join(tmp, "foreign")
	plant(t, foreign, btf)
	os.Chmod(foreign, 0o700)
	chownAll(t, foreign)
	if k, err = kb.Load(kb.Options{BTFFile: btf, CacheDir: foreign}); err == nil || !strings.Contains(err.Error(), "uid 65534") {
		t.Fatalf("foreign cache: %v %v", k, err)
	}

	// The user's cache, a file someone else owns in it: not loaded (the
	// kb is rebuilt, which fails for this file that is not BTF).
	mixed := filepath.Join(tmp, "mixed")
	entry := plant(t, mixed, btf)
	os.Chmod(mixed, 0o700)
	if err := os.Chown(filepath.Join(entry, kb.DataFile), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if k, err = kb.Load(kb.Options{BTFFile: btf, CacheDir: mixed}); err == nil && k.Meta.Kernel == "PLANTED" {
		t.Fatal("a kb.gob owned by another user was loaded")
	}
	// ... and a file of the user's own that others may write: not loaded.
	os.Chown(filepath.Join(entry, kb.DataFile), 0, 0)
	os.Chmod(filepath.Join(entry, kb.DataFile), 0o666)
	if k, err = kb.Load(kb.Options{BTFFile: btf, CacheDir: mixed}); err == nil && k.Meta.Kernel == "PLANTED" {
		t.Fatal("a world-writable kb.gob was loaded")
	}
}

// A cache reached through a symbolic link another user owns is refused.
func TestCacheThroughForeignLinkRefused(t *testing.T) {
	testenv.Require(t, testenv.Root)
	tmp := t.TempDir()
	target := filepath.Join(tmp, "target")
	os.Mkdir(target, 0o700)
	link := filepath.Join(tmp, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := kb.PrivateDir(link); err != nil {
		t.Fatalf("a link of the user's own: %v", err)
	}
	if err := os.Lchown(link, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := kb.PrivateDir(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("a link of another user's: %v", err)
	}
}

// The user's own cache made by an older kgent (mode 0755) becomes
// private rather than refused.
func TestOwnCacheMadePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kb")
	os.Mkdir(dir, 0o755)
	os.Chmod(dir, 0o755)
	if err := kb.PrivateDir(dir); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Fatalf("mode %04o, want 0700", m)
	}
	if err := kb.OwnedDir(dir); err != nil {
		t.Fatal(err)
	}
}

func chownAll(t *testing.T, root string) {
	t.Helper()
	if err := filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 65534, 65534)
	}); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkCacheChecks is what verification adds per run before it uses
// a cached vmlinux.h: the cache directory's checks and the header's.
func BenchmarkCacheChecks(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "kb")
	hdr := filepath.Join(dir, "vmlinux", "0123", "vmlinux.h")
	os.MkdirAll(filepath.Dir(hdr), 0o700)
	os.WriteFile(hdr, []byte("x"), 0o644)
	for b.Loop() {
		if err := kb.PrivateDir(dir); err != nil {
			b.Fatal(err)
		}
		if err := kb.OwnedFile(hdr); err != nil {
			b.Fatal(err)
		}
	}
}
