package retrieval

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb/examples"
)

// The targets: one query < 5 ms; loading the persisted index about a
// millisecond (issue #17: it is mapped, not decoded), and loading it with
// the first query of a kind not much more than the query. Figures are in
// the README.

func BenchmarkBuild(b *testing.B) {
	k := testenv.HostKB(b)
	exs, err := examples.Load()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Build(context.Background(), k, exs, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func persisted(b *testing.B) string {
	k := testenv.HostKB(b)
	exs, err := examples.Load()
	if err != nil {
		b.Fatal(err)
	}
	ix, err := Build(context.Background(), k, exs, Options{})
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "ix")
	if err := ix.Save(dir); err != nil {
		b.Fatal(err)
	}
	return dir
}

func BenchmarkLoad(b *testing.B) {
	dir := persisted(b)
	for b.Loop() {
		if _, err := Load(dir, EmbeddingConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadAndSearch is what one kgent kb search, MCP search or agent
// run pays for the index: loading it from the cache and the first query
// of a kind (which checks and decodes that kind's part of the file).
func BenchmarkLoadAndSearch(b *testing.B) {
	dir := persisted(b)
	for _, kind := range Kinds {
		b.Run(kind, func(b *testing.B) {
			for b.Loop() {
				ix, err := Load(dir, EmbeddingConfig{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := ix.Search(context.Background(), kind, "how long do tcp connections take to establish", 5, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkQuery(b *testing.B) {
	ix, err := Load(persisted(b), EmbeddingConfig{})
	if err != nil {
		b.Fatal(err)
	}
	for _, kind := range Kinds {
		b.Run(kind, func(b *testing.B) {
			for b.Loop() {
				if _, err := ix.Search(context.Background(), kind, "how long do tcp connections take to establish", 5, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
