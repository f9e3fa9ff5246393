package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// `kgent kb search` with KGENT_INDEX_DIR pointing at a directory of the
// user's folders: building and rebuilding the index leaves every folder
// and file of theirs in place.
func TestKBSearchKeepsFoldersInIndexDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KGENT_INDEX_DIR", dir)
	t.Setenv("KGENT_EMBED_BASE_URL", "")
	t.Setenv("KGENT_EMBED_MODEL", "")
	old := time.Now().Add(-3 * time.Hour)
	var files []string
	for i := range 5 {
		sub := filepath.Join(dir, "folder"+strconv.Itoa(i))
		os.Mkdir(sub, 0o755)
		f := filepath.Join(sub, "keep.txt")
		os.WriteFile(f, []byte("mine"), 0o644)
		os.Chtimes(sub, old, old)
		files = append(files, f)
	}
	hidden := filepath.Join(dir, ".index-mine")
	os.Mkdir(hidden, 0o755)
	os.WriteFile(filepath.Join(hidden, "keep.txt"), []byte("mine"), 0o644)
	os.Chtimes(hidden, old, old)
	files = append(files, filepath.Join(hidden, "keep.txt"))
	for _, args := range [][]string{
		{"kb", "search", "tcp", "retransmits"},
		{"kb", "search", "--reindex", "files", "opened"},
	} {
		if code, _, errOut := runCLI(t, args...); code != 0 {
			t.Fatalf("kgent %v: exit %d %s", args, code, errOut)
		}
	}
	for _, f := range files {
		if b, err := os.ReadFile(f); err != nil || string(b) != "mine" {
			t.Errorf("%s: %v", f, err)
		}
	}
}
