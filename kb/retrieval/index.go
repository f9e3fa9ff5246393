// Package retrieval indexes kgent's example corpus and the target
// kernel's specs (helpers, kfuncs, tracepoints with their fields, kernel
// functions) in chromem-go collections, and answers natural-language
// queries over them. The default embedding is local and deterministic
// (Terms: identifier splitting, domain concepts, rarity weighting, feature
// hashing); an OpenAI-compatible endpoint can replace it. The index is
// persisted in the cache under a key of the corpus, the kernel and the
// embedding, so it is rebuilt exactly when one of them changes.
package retrieval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	chromem "github.com/philippgille/chromem-go"

	"github.com/kgent/kgent/internal/endpoint"
	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/kb/examples"
)

// Kinds of documents, one chromem collection each.
const (
	KindExamples    = "examples"
	KindHelpers     = "helpers"
	KindKfuncs      = "kfuncs"
	KindTracepoints = "tracepoints"
	KindFunctions   = "functions"
)

// Kinds lists every kind in the order `kgent kb search` documents them.
var Kinds = []string{KindExamples, KindHelpers, KindTracepoints, KindFunctions, KindKfuncs}

// indexVersion changes when documents are built differently.
const indexVersion = 1

// formatVersion changes when the files of a persisted index change: an
// index of another format is rebuilt, with a warning. Format 1 (no format
// in the manifest) kept the collections, the statistics and the functions'
// index in gob files that every Load decoded whole; format 2 mapped the
// statistics and the functions' index but still decoded the collections'
// gob; format 3 keeps everything in the mapped index file (mapped.go).
const formatVersion = 3

// ErrNoTerms: the query has no word the index can match.
var ErrNoTerms = errors.New("the query has no words to search for: describe what the program should do")

// Result is one ranked document.
type Result struct {
	Kind  string
	ID    string // example slug, helper/kfunc/function name, "category:name"
	Title string // an example's title; "" for specs
	// Content is what the document says: an example's description, a
	// prototype, a tracepoint's fields.
	Content string
	Dialect string // examples: "bpftrace" or "c"
	Score   float32
}

// Options control Open.
type Options struct {
	// CacheDir holds persisted indexes (default: KGENT_INDEX_DIR, else
	// the directory "index" inside the kb cache). It must be the user's
	// own (kb.OwnedDir); kgent removes from it only the indexes it wrote
	// (see ours).
	CacheDir string
	// Embedding selects an endpoint; empty is the local embedding.
	Embedding EmbeddingConfig
	// Rebuild ignores a persisted index.
	Rebuild bool
	// Progress receives build steps; Warn receives problems that do not
	// stop the index (an unwritable cache).
	Progress, Warn func(string)
}

// DefaultCacheDir is where indexes persist: KGENT_INDEX_DIR, else
// "index" inside the kb cache (older kgent used a sibling of the kb cache,
// which is left alone).
func DefaultCacheDir() string {
	if d := os.Getenv("KGENT_INDEX_DIR"); d != "" {
		return d
	}
	return filepath.Join(kb.CacheDir(), "index")
}

// EmbeddingFromEnv reads KGENT_EMBED_BASE_URL, KGENT_EMBED_MODEL and the
// key: KGENT_EMBED_API_KEY, bound to KGENT_EMBED_BASE_URL, else
// OPENAI_API_KEY, bound to the LLM endpoint of the environment
// (KGENT_LLM_BASE_URL, else OpenAI's API). A key is sent only to the
// endpoint it is bound to (EmbeddingConfig.KeyURL).
func EmbeddingFromEnv() EmbeddingConfig {
	c := EmbeddingConfig{BaseURL: os.Getenv("KGENT_EMBED_BASE_URL"), Model: os.Getenv("KGENT_EMBED_MODEL")}
	if key := os.Getenv("KGENT_EMBED_API_KEY"); key != "" {
		c.APIKey, c.KeyURL = key, c.BaseURL
	} else if key := os.Getenv("OPENAI_API_KEY"); key != "" {
		c.APIKey, c.KeyURL = key, os.Getenv("KGENT_LLM_BASE_URL")
	}
	if c.APIKey != "" && c.KeyURL == "" {
		c.KeyURL = endpoint.OpenAI
	}
	return c
}

// Index is a built or loaded set of collections.
type Index struct {
	db     *chromem.DB
	stats  map[string]*stats // local collections' document frequencies
	funcs  funcIndex         // kernel functions; nil without a kb
	remote *remote           // nil: every collection is local
	file   *ixFile           // the mapped index file, when loaded
	// docs are the documents Build gave each collection, for Save.
	docs map[string][]chromem.Document
	// damaged is set when a search found the mapped file damaged.
	damaged atomic.Bool
	// Manifest describes the index.
	Manifest Manifest
	// Dir is where it was loaded from or saved to ("" when not persisted).
	Dir string
	// Warning is set when the index is not what was configured.
	Warning string
}

// Manifest is persisted next to the collections.
type Manifest struct {
	Key       string         `json:"key"`
	Format    int            `json:"format"`    // formatVersion
	Embedding string         `json:"embedding"` // "local-v1" or "openai:URL|model"
	Kernel    string         `json:"kernel"`
	BuiltAt   string         `json:"built_at"`
	Counts    map[string]int `json:"counts"`
	// Remote lists the kinds embedded by the endpoint; the others are local.
	Remote []string `json:"remote,omitempty"`
}

type doc struct {
	id, title, content, dialect string
	fields                      []Field
}

// Key identifies the index of a corpus, a kb and an embedding.
func Key(k *kb.KB, exs []examples.Example, emb EmbeddingConfig) string {
	h := sha256.New()
	fmt.Fprintf(h, "index %d dim %d embedding %s terms %s\n", indexVersion, LocalDim, emb.id(), termsDigest)
	for _, e := range exs {
		b, _ := json.Marshal(e)
		h.Write(b)
	}
	if k != nil {
		m := k.Meta
		fmt.Fprintf(h, "kb %d %s %s %s %s %d %d %d %d\n", m.Schema, m.Kernel, m.Source, m.BTFSHA256, m.BuiltAt,
			k.NumHelpers(), k.NumKfuncs(), k.NumTracepoints(), k.NumFuncs())
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Open loads the persisted index for k and the corpus, or builds and
// persists it. k may be nil: examples only.
func Open(ctx context.Context, k *kb.KB, exs []examples.Example, opts Options) (*Index, error) {
	warn := opts.Warn
	if warn == nil {
		warn = func(string) {}
	}
	cache := opts.CacheDir
	if cache == "" {
		cache = DefaultCacheDir()
	}
	if err := kb.OwnedDir(cache); err != nil {
		// Not the user's own: neither read nor written; the index lives
		// in memory for this process.
		why := fmt.Sprintf("the index is not persisted: %v", err)
		warn(why)
		ix, err := Build(ctx, k, exs, opts)
		if err != nil {
			return nil, err
		}
		ix.Warning = why
		return ix, nil
	}
	key := Key(k, exs, opts.Embedding)
	dir := filepath.Join(cache, key[:keyLen])
	if !opts.Rebuild {
		ix, err := Load(dir, opts.Embedding)
		switch {
		case err == nil && ix.Manifest.Key == key:
			return ix, nil
		case err == nil:
			warn(fmt.Sprintf("index %s is for another corpus or kernel: rebuilding", dir))
		case errors.Is(err, errFormat):
			warn(fmt.Sprintf("index %s: %v: rebuilding", dir, err))
			removeOurs(dir, false)
		case !errors.Is(err, os.ErrNotExist):
			warn(fmt.Sprintf("index %s is unreadable (%v): rebuilding", dir, err))
			removeOurs(dir, false) // so that Save replaces it
		}
	}
	ix, err := Build(ctx, k, exs, opts)
	if err != nil {
		return nil, err
	}
	if err := ix.Save(dir); err != nil {
		warn(fmt.Sprintf("could not persist the index in %s: %v", dir, err))
	} else {
		prune(cache, filepath.Base(dir))
	}
	ix.docs = nil // chromem-go holds the documents; these copies were for Save
	return ix, nil
}

// Build embeds every document and fills the collections.
func Build(ctx context.Context, k *kb.KB, exs []examples.Example, opts Options) (*Index, error) {
	progress := opts.Progress
	if progress == nil {
		progress = func(string) {}
	}
	ix := &Index{db: chromem.NewDB(), stats: map[string]*stats{}, docs: map[string][]chromem.Document{}}
	ix.Manifest = Manifest{Key: Key(k, exs, opts.Embedding), Format: formatVersion, Embedding: opts.Embedding.id(), BuiltAt: time.Now().UTC().Format(time.RFC3339), Counts: map[string]int{}}
	if k != nil {
		ix.Manifest.Kernel = k.Meta.Kernel
	}
	if opts.Embedding.Remote() {
		r, err := newRemote(opts.Embedding)
		if err != nil {
			return nil, err
		}
		if r.withheld != "" && opts.Warn != nil {
			opts.Warn(r.withheld)
		}
		ix.remote = r
	}
	for _, kind := range Kinds {
		docs := documents(kind, k, exs)
		if len(docs) == 0 {
			continue
		}
		progress(fmt.Sprintf("indexing %d %s", len(docs), kind))
		if kind == KindFunctions {
			// Tens of thousands of names: the inverted index (see sparse),
			// with the local terms whatever the embedding.
			ix.funcs = buildSparse(docs)
			ix.Manifest.Counts[kind] = len(docs)
			continue
		}
		vecs := make([][]float32, len(docs))
		if ix.remote != nil {
			texts := make([]string, len(docs))
			for i, d := range docs {
				texts[i] = plain(d)
			}
			vs, err := ix.remote.embed(ctx, texts)
			if err != nil {
				return nil, fmt.Errorf("indexing %s: %w", kind, err)
			}
			vecs = vs
			ix.Manifest.Remote = append(ix.Manifest.Remote, kind)
		} else {
			st := &stats{DF: map[string]int32{}}
			tfs := make([]map[string]float32, len(docs))
			for i, d := range docs {
				tfs[i] = weigh(d.fields)
				st.add(tfs[i])
			}
			for i := range docs {
				vecs[i] = localVector(tfs[i], st)
			}
			ix.stats[kind] = st
		}
		col, err := ix.db.CreateCollection(kind, nil, ix.queryFunc(kind))
		if err != nil {
			return nil, err
		}
		cdocs := make([]chromem.Document, 0, len(docs))
		for i, d := range docs {
			if vecs[i] == nil {
				continue // nothing to match it by
			}
			var meta map[string]string
			if d.title != "" || d.dialect != "" {
				meta = map[string]string{"title": d.title, "dialect": d.dialect}
			}
			cdocs = append(cdocs, chromem.Document{ID: d.id, Metadata: meta, Embedding: vecs[i], Content: d.content})
		}
		if err := col.AddDocuments(ctx, cdocs, runtime.GOMAXPROCS(0)); err != nil {
			return nil, fmt.Errorf("indexing %s: %w", kind, err)
		}
		// Saved as chromem-go holds them (normalized), so a loaded
		// index scores them as the built one does.
		for i, d := range cdocs {
			held, err := col.GetByID(ctx, d.ID)
			if err != nil {
				return nil, fmt.Errorf("indexing %s: %w", kind, err)
			}
			cdocs[i].Embedding = held.Embedding
		}
		ix.docs[kind] = cdocs
		ix.Manifest.Counts[kind] = len(cdocs)
	}
	return ix, nil
}

// queryFunc embeds a query for a collection, as its documents were.
func (ix *Index) queryFunc(kind string) chromem.EmbeddingFunc {
	if ix.remote != nil {
		return func(ctx context.Context, text string) ([]float32, error) {
			vs, err := ix.remote.embed(ctx, []string{text})
			if err != nil {
				return nil, err
			}
			return vs[0], nil
		}
	}
	return func(_ context.Context, text string) ([]float32, error) {
		st := ix.stats[kind]
		if st == nil {
			return nil, fmt.Errorf("no statistics for the %s collection", kind)
		}
		return queryVector(text, st)
	}
}

// Search ranks the documents of kind for query. dialect filters examples
// ("bpftrace" or "c"; "" for both). The first search of a kind in a
// loaded index checks and decodes that kind's part of the index file.
func (ix *Index) Search(ctx context.Context, kind, query string, n int, dialect string) ([]Result, error) {
	if ix.file != nil && isKind(kind) {
		if err := ix.file.verify(kind); err != nil {
			return nil, ix.damage(err)
		}
	}
	if kind == KindFunctions {
		if ix.funcs == nil {
			return nil, nil
		}
		if n <= 0 {
			return nil, nil
		}
		rs, err := searchFuncs(ix.funcs, query, n)
		if errors.Is(err, errCorruptFile) {
			return nil, ix.damage(err)
		}
		return rs, err
	}
	if ix.file != nil {
		return ix.searchMapped(ctx, kind, query, n, dialect)
	}
	col := ix.db.GetCollection(kind, ix.queryFunc(kind))
	if col == nil {
		if !isKind(kind) {
			return nil, fmt.Errorf("unknown kind %q: one of %s", kind, strings.Join(Kinds, ", "))
		}
		return nil, nil // no documents of this kind (no kb)
	}
	if strings.TrimSpace(query) == "" {
		return nil, ErrNoTerms
	}
	n = min(n, col.Count())
	if n <= 0 {
		return nil, nil
	}
	var where map[string]string
	if dialect != "" && kind == KindExamples {
		where = map[string]string{"dialect": dialect}
	}
	rs, err := col.Query(ctx, query, n, where, nil)
	switch {
	case errors.Is(err, ErrNoTerms):
		return nil, ErrNoTerms
	case errors.Is(err, errNoMatch):
		return nil, nil
	case err != nil:
		return nil, err
	}
	out := make([]Result, 0, len(rs))
	for _, r := range rs {
		if r.Similarity <= 0 {
			continue
		}
		out = append(out, Result{Kind: kind, ID: r.ID, Title: r.Metadata["title"], Dialect: r.Metadata["dialect"], Content: r.Content, Score: r.Similarity})
	}
	return out, nil
}

// searchMapped is Search in a loaded index: the documents' vectors are
// scanned in the mapped file, and only the results decoded.
func (ix *Index) searchMapped(ctx context.Context, kind, query string, n int, dialect string) ([]Result, error) {
	c := ix.file.collection(kind)
	if c == nil {
		if !isKind(kind) {
			return nil, fmt.Errorf("unknown kind %q: one of %s", kind, strings.Join(Kinds, ", "))
		}
		return nil, nil // no documents of this kind (no kb)
	}
	if strings.TrimSpace(query) == "" {
		return nil, ErrNoTerms
	}
	n = min(n, c.n)
	if n <= 0 {
		return nil, nil
	}
	q, err := ix.queryFunc(kind)(ctx, query)
	switch {
	case errors.Is(err, ErrNoTerms):
		return nil, ErrNoTerms
	case errors.Is(err, errNoMatch):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("embedding the query: %w", err)
	}
	if kind != KindExamples {
		dialect = ""
	}
	rs, err := c.query(kind, q, n, dialect)
	if err != nil {
		return nil, ix.damage(err)
	}
	return rs, nil
}

// damage handles a damaged index file found by a search: the index is
// removed (when it is kgent's), so the next Open rebuilds it, and Shared
// opens it again.
func (ix *Index) damage(err error) error {
	if !errors.Is(err, errCorruptFile) {
		return err
	}
	ix.damaged.Store(true)
	if ix.Dir != "" && removeOurs(ix.Dir, false) {
		return fmt.Errorf("the index in %s is damaged (%v): it was removed, and the next search rebuilds it", ix.Dir, err)
	}
	return fmt.Errorf("the index in %s is damaged (%v): remove it, or search with --reindex", ix.Dir, err)
}

// Count is the number of documents of kind.
func (ix *Index) Count(kind string) int {
	if kind == KindFunctions {
		if ix.funcs == nil {
			return 0
		}
		return ix.funcs.docs()
	}
	if ix.file != nil {
		return ix.file.count(kind)
	}
	if c := ix.db.GetCollection(kind, ix.queryFunc(kind)); c != nil {
		return c.Count()
	}
	return 0
}

func isKind(kind string) bool {
	for _, k := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// File names of a persisted index.
const (
	indexFile    = "index.kgx"
	manifestFile = "manifest.json"
	// Older formats' gob files (chromem-go's export of the collections;
	// the statistics and the functions' index): never read, but removed
	// with the index that holds them.
	collectionsFile = "collections.gob"
	statsFile       = "stats.gob"
)

// ourFiles are the files an index kgent wrote may hold, of any format.
var ourFiles = []string{collectionsFile, indexFile, manifestFile, statsFile}

// Save persists the index in dir: the index file and the manifest (written last, so a half-written
// index has no manifest and is rebuilt). It is written in a temporary
// directory marked as kgent's (see ours) and renamed into place; a dir in
// the way is replaced only when it is an index kgent wrote.
func (ix *Index) Save(dir string) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, tempPrefix)
	if err != nil {
		return err
	}
	defer removeOurs(tmp, true)
	if err := os.WriteFile(filepath.Join(tmp, partialFile), []byte("kgent index being written\n"), 0o600); err != nil {
		return err
	}
	if err := ix.writeIndexFile(filepath.Join(tmp, indexFile)); err != nil {
		return err
	}
	m, _ := json.MarshalIndent(ix.Manifest, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, manifestFile), m, 0o644); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(tmp, partialFile)); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		// dir exists: another process may have saved the same index
		// meanwhile (keep it: it may be loading it now), or a damaged
		// one is in the way (replace it). Anything kgent did not write
		// stays.
		if m, rerr := os.ReadFile(filepath.Join(dir, manifestFile)); rerr == nil && ours(dir, false) {
			var other Manifest
			if json.Unmarshal(m, &other) == nil && other.Key == ix.Manifest.Key && other.Format == formatVersion {
				ix.Dir = dir
				return nil
			}
		}
		if !removeOurs(dir, false) {
			return fmt.Errorf("%s is in the way and is not an index kgent wrote: kgent leaves it alone", dir)
		}
		if err := os.Rename(tmp, dir); err != nil {
			return err
		}
	}
	ix.Dir = dir
	return nil
}

// writeIndexFile writes the index file: the mapped one's bytes when the
// index was loaded, else the encoding of what Build made.
func (ix *Index) writeIndexFile(path string) error {
	if ix.file != nil {
		defer runtime.KeepAlive(ix.file)
		return writeIndexFile(path, ix.file.b)
	}
	if ix.docs == nil {
		return errors.New("the index was saved once, and its documents are no longer held to save it again")
	}
	sp, _ := ix.funcs.(*sparse)
	b, err := encodeIndex(sp, ix.stats, ix.docs)
	if err != nil {
		return err
	}
	return writeIndexFile(path, b)
}

// Load reads an index persisted by Save. emb must be the embedding it
// was built with (its endpoint answers queries). The index file is
// mapped, not decoded: searches read the parts they need. An index of
// another format is an error wrapping errFormat.
func Load(dir string, emb EmbeddingConfig) (*Index, error) {
	// Only files of the user's own, that nobody else can change, are read.
	if err := kb.OwnedFile(filepath.Join(dir, manifestFile)); err != nil {
		return nil, err
	}
	mb, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil, err
	}
	ix := &Index{db: chromem.NewDB(), Dir: dir, stats: map[string]*stats{}}
	if err := json.Unmarshal(mb, &ix.Manifest); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if ix.Manifest.Format != formatVersion {
		return nil, fmt.Errorf("%w: index format %d, this kgent reads format %d", errFormat, max(ix.Manifest.Format, 1), formatVersion)
	}
	if err := kb.OwnedFile(filepath.Join(dir, indexFile)); errors.Is(err, os.ErrNotExist) {
		// Not "no index": a manifest without its file is a damaged
		// index, which Open replaces.
		return nil, fmt.Errorf("the manifest is there, %s is not", indexFile)
	} else if err != nil {
		return nil, err
	}
	if ix.Manifest.Embedding != emb.id() {
		return nil, fmt.Errorf("built with embedding %s, not %s", ix.Manifest.Embedding, emb.id())
	}
	if len(ix.Manifest.Remote) > 0 {
		if ix.remote, err = newRemote(emb); err != nil {
			return nil, err
		}
	}
	if ix.file, err = loadIndexFile(filepath.Join(dir, indexFile)); err != nil {
		return nil, err
	}
	if ix.Manifest.Counts[KindFunctions] > 0 {
		if ix.funcs, err = ix.file.funcs(); err != nil {
			return nil, err
		}
	}
	for _, kind := range Kinds {
		if kind == KindFunctions || slices.Contains(ix.Manifest.Remote, kind) || ix.Manifest.Counts[kind] == 0 {
			continue
		}
		if ix.stats[kind], err = ix.file.stats(kind); err != nil {
			return nil, err
		}
	}
	for _, kind := range Kinds {
		if kind == KindFunctions {
			continue
		}
		if err := ix.file.checkDocs(kind); err != nil {
			return nil, err
		}
	}
	for kind, n := range ix.Manifest.Counts {
		if ix.Count(kind) != n {
			return nil, fmt.Errorf("collection %s does not hold its %d documents", kind, n)
		}
	}
	return ix, nil
}

// Names in an index directory: an index is keyLen hex digits of its key
// (the key in its manifest starts with them); an index being written is
// tempPrefix followed by random digits and holds partialFile until done.
const (
	keyLen      = 20
	tempPrefix  = ".kgent-index-"
	partialFile = "kgent-index-partial"
)

// ours reports whether dir is an entry kgent wrote in an index directory,
// so that it may be removed: a directory (not a link) of the user's own
// holding nothing but the files of an index, and either a finished index
// whose name is the start of the key in its manifest, or (temp) an index
// being written that still holds partialFile. A folder of the user's,
// whatever its name, fails one of these.
func ours(dir string, temp bool) bool {
	st, err := os.Lstat(dir)
	if err != nil || !st.IsDir() || !ownedDir(st) {
		return false
	}
	name := filepath.Base(dir)
	if temp != strings.HasPrefix(name, tempPrefix) {
		return false
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	partial := false
	for _, e := range ents {
		switch {
		case !e.Type().IsRegular():
			return false
		case e.Name() == partialFile && temp:
			partial = true
		case slices.Contains(ourFiles, e.Name()):
		default:
			return false
		}
	}
	if temp {
		return partial
	}
	if !isKey(name, keyLen) {
		return false
	}
	mb, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return false
	}
	var m Manifest
	return json.Unmarshal(mb, &m) == nil && isKey(m.Key, 2*sha256.Size) && strings.HasPrefix(m.Key, name)
}

func ownedDir(st os.FileInfo) bool {
	s, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(s.Uid) == os.Geteuid()
}

// isKey: n lower-case hex digits.
func isKey(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// removeOurs removes dir when it is an index kgent wrote (ours): its
// files one by one, then the directory, which fails if anything else
// appeared meanwhile. It reports whether dir is gone.
func removeOurs(dir string, temp bool) bool {
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return true
	}
	if !ours(dir, temp) {
		return false
	}
	for _, name := range append(slices.Clone(ourFiles), partialFile) {
		os.Remove(filepath.Join(dir, name))
	}
	return os.Remove(dir) == nil
}

// prune removes indexes kgent wrote in cache but the newest few, so
// rebuilding for new kernels or corpora does not fill the disk, and
// indexes left half-written for an hour. Nothing else in cache is
// touched.
func prune(cache, keep string) {
	ents, err := os.ReadDir(cache)
	if err != nil {
		return
	}
	type aged struct {
		name string
		mod  time.Time
	}
	var old []aged
	for _, e := range ents {
		if !e.IsDir() || e.Name() == keep {
			continue
		}
		if strings.HasPrefix(e.Name(), tempPrefix) {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > time.Hour {
				removeOurs(filepath.Join(cache, e.Name()), true)
			}
			continue
		}
		if info, err := e.Info(); err == nil && isKey(e.Name(), keyLen) {
			old = append(old, aged{e.Name(), info.ModTime()})
		}
	}
	sort.Slice(old, func(i, j int) bool { return old[i].mod.After(old[j].mod) })
	for i, o := range old {
		if i >= 3 {
			removeOurs(filepath.Join(cache, o.name), false)
		}
	}
}

// shared holds the indexes Shared opened, keyed by the kernel they index
// (not by *kb.KB: a server that reloads its kb gets a new *kb.KB for the
// same kernel, and an index per pointer kept every old kb alive), at most
// maxShared of them, the least recently used dropped first.
var shared struct {
	mu    sync.Mutex
	m     map[string]*sharedIndex
	order []string // least recently used first
}

const maxShared = 4

type sharedIndex struct {
	mu sync.Mutex
	ix *Index
}

// sharedKey names the kernel k describes ("" for none).
func sharedKey(k *kb.KB) string {
	if k == nil {
		return ""
	}
	return k.Meta.Kernel + "\x00" + k.Meta.Source + "\x00" + k.Meta.BTFSHA256 + "\x00" + k.Meta.BuiltAt
}

// Shared is the index of the embedded corpus and k (nil: examples only),
// opened once per process and kernel with the embedding of the
// environment (EmbeddingFromEnv) and the default cache. When a configured
// endpoint fails, the local embedding answers and Warning says why. A
// failed open (a cancelled context) is tried again by the next call.
func Shared(ctx context.Context, k *kb.KB) (*Index, error) {
	key := sharedKey(k)
	shared.mu.Lock()
	if shared.m == nil {
		shared.m = map[string]*sharedIndex{}
	}
	e := shared.m[key]
	if e == nil {
		e = &sharedIndex{}
		shared.m[key] = e
	}
	shared.order = append(slices.DeleteFunc(shared.order, func(o string) bool { return o == key }), key)
	for len(shared.order) > maxShared {
		delete(shared.m, shared.order[0])
		shared.order = shared.order[1:]
	}
	shared.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ix != nil && !e.ix.damaged.Load() {
		return e.ix, nil
	}
	exs, err := examples.Corpus()
	if err != nil {
		return nil, err
	}
	emb := EmbeddingFromEnv()
	ix, err := Open(ctx, k, exs, Options{Embedding: emb})
	if err != nil && emb.Remote() && ctx.Err() == nil {
		why := err
		if ix, err = Open(ctx, k, exs, Options{}); err == nil {
			ix.Warning = fmt.Sprintf("the embedding endpoint failed (%v): searching with the local embedding", why)
		}
	}
	if err != nil {
		return nil, err
	}
	e.ix = ix
	return ix, nil
}
