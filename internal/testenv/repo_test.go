package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The repository stands alone: no file refers to design notes outside it
// (a clone has none).
func TestRepoStandsAlone(t *testing.T) {
	root := filepath.Join("..", "..")
	// The names are put together here so that this file does not hold
	// what it looks for.
	outside := []string{".." + "/shared", "DESIGN" + ".md"}
	exts := map[string]bool{".go": true, ".md": true, ".ts": true, ".lua": true, ".sh": true, ".txt": true, ".json": true}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || d.Name() == ".cache" || d.Name() == "out") {
			return filepath.SkipDir
		}
		if d.IsDir() || !exts[filepath.Ext(path)] {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, o := range outside {
				if strings.Contains(line, o) {
					t.Errorf("%s:%d refers outside the repository: %s", path, i+1, strings.TrimSpace(line))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
