// Package examples is kgent's own corpus of verified eBPF programs: one
// folder per example with the program (prog.bt or prog.bpf.c) and
// meta.json describing what it does. Adding an example is adding a folder;
// tests prove every program is accepted by the real tools and clean under
// kgent's checks.
package examples

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed */prog.* */meta.json
var files embed.FS

// Example is one corpus entry.
type Example struct {
	Slug        string   `json:"slug"`
	Dialect     string   `json:"dialect"` // "bpftrace" or "c"
	Source      string   `json:"source"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	Probes      []string `json:"probes"`
	Facts       []string `json:"facts"`
	Output      string   `json:"output"`
	Trigger     string   `json:"trigger,omitempty"`
}

// Load reads every example, validating each folder.
func Load() ([]Example, error) {
	return load(files)
}

var (
	corpusOnce sync.Once
	corpus     []Example
	bySlug     map[string]int
	corpusErr  error
)

// Corpus is Load, read once per process; callers must not modify it.
func Corpus() ([]Example, error) {
	corpusOnce.Do(func() {
		corpus, corpusErr = Load()
		bySlug = make(map[string]int, len(corpus))
		for i, e := range corpus {
			bySlug[e.Slug] = i
		}
	})
	return corpus, corpusErr
}

// Get is the example of a slug from Corpus.
func Get(slug string) (Example, bool) {
	if _, err := Corpus(); err != nil {
		return Example{}, false
	}
	i, ok := bySlug[slug]
	if !ok {
		return Example{}, false
	}
	return corpus[i], true
}

func load(fsys fs.FS) ([]Example, error) {
	dirs, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		ex, err := loadOne(fsys, d.Name())
		if err != nil {
			return nil, fmt.Errorf("example %s: %w", d.Name(), err)
		}
		out = append(out, ex)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Slug < out[j].Slug })
	return out, nil
}

func loadOne(fsys fs.FS, slug string) (Example, error) {
	ex := Example{Slug: slug}
	meta, err := fs.ReadFile(fsys, path.Join(slug, "meta.json"))
	if err != nil {
		return ex, fmt.Errorf("no meta.json")
	}
	dec := json.NewDecoder(strings.NewReader(string(meta)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ex); err != nil {
		return ex, fmt.Errorf("meta.json: %w", err)
	}
	ex.Slug = slug
	for _, cand := range []struct{ file, dialect string }{{"prog.bt", "bpftrace"}, {"prog.bpf.c", "c"}} {
		if src, err := fs.ReadFile(fsys, path.Join(slug, cand.file)); err == nil {
			if ex.Source != "" {
				return ex, fmt.Errorf("both prog.bt and prog.bpf.c")
			}
			ex.Source, ex.Dialect = string(src), cand.dialect
		}
	}
	switch {
	case ex.Source == "":
		return ex, fmt.Errorf("no prog.bt or prog.bpf.c")
	case strings.TrimSpace(ex.Title) == "":
		return ex, fmt.Errorf("meta.json has no title")
	case len(strings.Fields(ex.Description)) < 8:
		return ex, fmt.Errorf("meta.json needs a description of what the program does and prints")
	case len(ex.Tags) == 0:
		return ex, fmt.Errorf("meta.json has no tags")
	case len(ex.Probes) == 0:
		return ex, fmt.Errorf("meta.json lists no probes")
	}
	return ex, nil
}

// FileName is the program's file name in its folder.
func (e Example) FileName() string {
	if e.Dialect == "c" {
		return "prog.bpf.c"
	}
	return "prog.bt"
}
