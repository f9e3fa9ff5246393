package retrieval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/kb/examples"
)

func TestTerms(t *testing.T) {
	cases := []struct {
		text string
		want []string // must all be present
		not  []string // must all be absent
	}{
		{"tcp_v4_connect", []string{"=tcp_v4_connect", "tcp", "ipv4", "connect"}, nil},
		{"sys_enter_openat", []string{"syscall", "enter", "open"}, nil},
		{"getAddrInfo", []string{"=getaddrinfo", "addr", "info"}, nil},
		{"which files are opened", []string{"file", "open"}, []string{"which", "are"}},
		{"How long do disk reads take?", []string{"latency", "block", "read"}, []string{"long", "how"}},
		{"dropped packets", []string{"drop", "network"}, nil},
		{"processes", []string{"process"}, nil},
		{"look up a map value", []string{"lookup", "map", "value"}, []string{"look"}},
		{"kfree_skb", []string{"drop", "network"}, nil},
		{"eBPF", []string{"bpf"}, []string{"e"}},
		{"统计每个进程打开文件的次数", []string{"count", "process", "open", "file"}, nil},
		{"show me all of them", nil, []string{"show", "me", "all"}},
	}
	for _, c := range cases {
		got := Terms(c.text)
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("Terms(%q) = %q: no %q", c.text, got, w)
			}
		}
		for _, w := range c.not {
			if slices.Contains(got, w) {
				t.Errorf("Terms(%q) = %q: has %q", c.text, got, w)
			}
		}
	}
	if got := Terms("show me all of them"); len(got) != 0 {
		t.Errorf("filler gave terms %q", got)
	}
}

func TestStem(t *testing.T) {
	for in, want := range map[string]string{"opens": "open", "processes": "process", "latencies": "latency", "dropping": "drop",
		"dropped": "drop", "failing": "fail", "class": "class", "status": "status", "analysis": "analysis", "speed": "speed"} {
		if got := stem(in); got != want {
			t.Errorf("stem(%q) = %q, want %q", in, got, want)
		}
	}
}

func corpus(t testing.TB) []examples.Example {
	exs, err := examples.Load()
	if err != nil {
		t.Fatal(err)
	}
	return exs
}

// The local embedding is deterministic: two builds give the same vectors
// and the same answers.
func TestDeterministic(t *testing.T) {
	exs := corpus(t)
	var answers [2][]Result
	for i := range answers {
		ix, err := Build(context.Background(), nil, exs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if answers[i], err = ix.Search(context.Background(), KindExamples, "disk latency histogram", 5, ""); err != nil {
			t.Fatal(err)
		}
	}
	if len(answers[0]) == 0 || !slices.Equal(answers[0], answers[1]) {
		t.Fatalf("two builds answered differently:\n%v\n%v", answers[0], answers[1])
	}
	if id := answers[0][0].ID; id != "bt-block-io-latency" && id != "c-block-io-latency" {
		t.Errorf("first answer %s", answers[0][0].ID)
	}
}

func TestSearchErrorsAndFilters(t *testing.T) {
	ix, err := Build(context.Background(), nil, corpus(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := ix.Search(ctx, KindExamples, "show me all", 3, ""); !errors.Is(err, ErrNoTerms) {
		t.Errorf("a query of filler: %v", err)
	}
	if _, err := ix.Search(ctx, KindExamples, "   ", 3, ""); !errors.Is(err, ErrNoTerms) {
		t.Errorf("an empty query: %v", err)
	}
	if rs, err := ix.Search(ctx, KindExamples, "zzqx wobble", 3, ""); err != nil || len(rs) != 0 {
		t.Errorf("words no example has: %v %v", rs, err)
	}
	if _, err := ix.Search(ctx, "recipes", "tcp", 3, ""); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("unknown kind: %v", err)
	}
	if rs, err := ix.Search(ctx, KindHelpers, "map lookup", 3, ""); err != nil || rs != nil {
		t.Errorf("helpers without a kb: %v %v", rs, err)
	}
	rs, err := ix.Search(ctx, KindExamples, "files opened", 100, "c")
	if err != nil || len(rs) == 0 {
		t.Fatalf("%v %v", rs, err)
	}
	for _, r := range rs {
		if r.Dialect != "c" || !strings.HasPrefix(r.ID, "c-") {
			t.Errorf("--lang c answered %s (%s)", r.ID, r.Dialect)
		}
	}
	if id := rs[0].ID; id != "c-opensnoop-ringbuf" && id != "c-lsm-file-open-audit" {
		t.Errorf("first C answer for files opened: %s", rs[0].ID)
	}
}

// Open persists the index and loads it again; a changed corpus gets a
// new key and a rebuild; a damaged index is rebuilt with a warning.
func TestOpenPersists(t *testing.T) {
	exs := corpus(t)
	cache := t.TempDir()
	var warnings []string
	opts := Options{CacheDir: cache, Warn: func(s string) { warnings = append(warnings, s) }}
	built := 0
	opts.Progress = func(string) { built++ }
	ix, err := Open(context.Background(), nil, exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Dir == "" || built == 0 {
		t.Fatalf("not built and persisted: dir %q", ix.Dir)
	}
	built = 0
	again, err := Open(context.Background(), nil, exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if built != 0 || again.Dir != ix.Dir {
		t.Fatalf("persisted index not reused (built %d, %s vs %s)", built, again.Dir, ix.Dir)
	}
	a, _ := ix.Search(context.Background(), KindExamples, "tcp retransmissions", 3, "")
	b, _ := again.Search(context.Background(), KindExamples, "tcp retransmissions", 3, "")
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("loaded index answers differently:\n%v\n%v", a, b)
	}

	// A new example changes the key.
	changed := append(slices.Clone(exs), examples.Example{Slug: "bt-new", Dialect: "bpftrace", Source: "BEGIN { }",
		Title: "Zebra counter", Description: "counts zebras crossing the kernel", Tags: []string{"zebra"}, Probes: []string{"BEGIN"}})
	nx, err := Open(context.Background(), nil, changed, opts)
	if err != nil {
		t.Fatal(err)
	}
	if nx.Dir == ix.Dir || built == 0 {
		t.Fatal("a changed corpus reused the old index")
	}
	if rs, _ := nx.Search(context.Background(), KindExamples, "zebras", 1, ""); len(rs) != 1 || rs[0].ID != "bt-new" {
		t.Fatalf("new example not found: %v", rs)
	}

	// Damage the first index: it is rebuilt, with a warning.
	if err := os.WriteFile(filepath.Join(ix.Dir, indexFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	built, warnings = 0, nil
	if _, err := Open(context.Background(), nil, exs, opts); err != nil {
		t.Fatal(err)
	}
	if built == 0 || len(warnings) == 0 || !strings.Contains(warnings[0], "rebuilding") {
		t.Fatalf("damaged index: built %d, warnings %q", built, warnings)
	}
	// The rebuilt index replaced the damaged one.
	built, warnings = 0, nil
	if _, err := Open(context.Background(), nil, exs, opts); err != nil || built != 0 || len(warnings) != 0 {
		t.Fatalf("after the rebuild: %v, built %d, warnings %q", err, built, warnings)
	}
}

// fakeEmbeddings is an OpenAI-compatible /embeddings endpoint: each text
// becomes a vector of its words hashed into 64 dimensions.
func fakeEmbeddings(t *testing.T, key string, fail *atomic.Bool) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/v1/embeddings" || r.Header.Get("Authorization") != "Bearer "+key {
			http.Error(w, `{"error":{"message":"bad path or key"}}`, http.StatusUnauthorized)
			return
		}
		if fail != nil && fail.Load() {
			http.Error(w, `{"error":{"message":"model overloaded"}}`, http.StatusBadRequest)
			return
		}
		var req struct {
			Input []string `json:"input"`
			Model string   `json:"model"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != "fake-embed" {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		type datum struct {
			Object    string    `json:"object"`
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var data []datum
		for i, text := range req.Input {
			v := make([]float32, 64)
			for _, w := range strings.Fields(strings.ToLower(text)) {
				h := fnv.New32a()
				h.Write([]byte(strings.Trim(w, ".,()")))
				v[h.Sum32()%64]++
			}
			v[63] += 0.01
			data = append(data, datum{"embedding", i, v})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// An OpenAI-compatible endpoint replaces the local embedding through the
// real go-openai client; its failures are clear errors without the key.
func TestRemoteEmbedding(t *testing.T) {
	const key = "sk-embed-test-0123456789"
	var fail atomic.Bool
	srv, calls := fakeEmbeddings(t, key, &fail)
	exs := corpus(t)
	emb := EmbeddingConfig{BaseURL: srv.URL + "/v1", Model: "fake-embed", APIKey: key}
	cache := t.TempDir()
	ix, err := Open(context.Background(), nil, exs, Options{CacheDir: cache, Embedding: emb})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ix.Manifest.Remote, KindExamples) || !strings.HasPrefix(ix.Manifest.Embedding, "openai:") {
		t.Fatalf("manifest %+v", ix.Manifest)
	}
	if n := calls.Load(); n < int64((len(exs)+remoteBatch-1)/remoteBatch) {
		t.Fatalf("%d calls for %d examples", n, len(exs))
	}
	rs, err := ix.Search(context.Background(), KindExamples, "Run queue latency", 3, "")
	if err != nil || len(rs) == 0 {
		t.Fatalf("%v %v", rs, err)
	}
	if !strings.Contains(rs[0].ID, "runq") {
		t.Errorf("endpoint embedding ranked %s first", rs[0].ID)
	}
	// The persisted index is reused with the same endpoint, and answers
	// as the built one (the endpoint's vectors are not of unit length:
	// both normalize them alike); a local Open does not pick it up.
	before := calls.Load()
	loaded, err := Open(context.Background(), nil, exs, Options{CacheDir: cache, Embedding: emb})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != before || loaded.file == nil {
		t.Error("the persisted remote index was re-embedded, or not loaded")
	}
	for _, q := range []string{"Run queue latency", "tcp connections", "files opened by processes"} {
		want, _ := ix.Search(context.Background(), KindExamples, q, 5, "")
		got, err := loaded.Search(context.Background(), KindExamples, q, 5, "")
		if err != nil {
			t.Fatal(err)
		}
		sameResults(t, "remote "+q, want, got, 5)
	}
	local, err := Open(context.Background(), nil, exs, Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if local.Manifest.Embedding != localVersion || local.Dir == ix.Dir {
		t.Fatalf("local open got %+v", local.Manifest)
	}

	fail.Store(true)
	_, err = ix.Search(context.Background(), KindExamples, "tcp", 3, "")
	if err == nil || !strings.Contains(err.Error(), "model overloaded") || strings.Contains(err.Error(), key) {
		t.Errorf("endpoint failure: %v", err)
	}
	_, err = Build(context.Background(), nil, exs, Options{Embedding: EmbeddingConfig{BaseURL: srv.URL + "/v1", Model: "fake-embed", APIKey: "wrong"}})
	if err == nil || !strings.Contains(err.Error(), "embedding endpoint") {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := Build(context.Background(), nil, exs, Options{Embedding: EmbeddingConfig{BaseURL: srv.URL}}); err == nil || !strings.Contains(err.Error(), "model") {
		t.Errorf("no model: %v", err)
	}
}

// The kernel's specs answer requests in words, on the host kb.
func TestSpecs(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	ix, err := Build(context.Background(), k, corpus(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ kind, query, want string }{
		{KindTracepoints, "packets dropped by the kernel", "skb:kfree_skb"},
		{KindTracepoints, "openat syscall entry", "syscalls:sys_enter_openat"},
		{KindTracepoints, "tcp retransmission", "tcp:tcp_retransmit_skb"},
		{KindTracepoints, "process exec", "sched:sched_process_exec"},
		{KindHelpers, "look up a value in a map", "bpf_map_lookup_elem"},
		{KindHelpers, "timestamp in nanoseconds since boot", "bpf_ktime_get_ns"},
		{KindHelpers, "reserve space in the ring buffer", "bpf_ringbuf_reserve"},
		{KindHelpers, "current command name", "bpf_get_current_comm"},
		{KindFunctions, "tcp_v4_connect", "tcp_v4_connect"},
		{KindFunctions, "tcp ipv4 connect", "tcp_v4_connect"},
		{KindFunctions, "vfs read", "vfs_read"},
		{KindKfuncs, "acquire a task reference from its pid", "bpf_task_from_pid"},
	}
	for _, c := range cases {
		rs, err := ix.Search(context.Background(), c.kind, c.query, 5, "")
		if err != nil {
			t.Errorf("%s %q: %v", c.kind, c.query, err)
			continue
		}
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		if !slices.Contains(ids, c.want) {
			t.Errorf("%s %q: %v, want %s in the first 5", c.kind, c.query, ids, c.want)
		}
	}
}

// Shared falls back to the local embedding when the configured endpoint
// fails, and says why.
func TestSharedFallsBackToLocal(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	srv, _ := fakeEmbeddings(t, "k", &fail)
	t.Setenv("KGENT_INDEX_DIR", t.TempDir())
	t.Setenv("KGENT_EMBED_BASE_URL", srv.URL+"/v1")
	t.Setenv("KGENT_EMBED_MODEL", "fake-embed")
	t.Setenv("KGENT_EMBED_API_KEY", "k")
	ix, err := Shared(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ix.Warning, "embedding endpoint failed") || !strings.Contains(ix.Warning, "model overloaded") || ix.Manifest.Embedding != localVersion {
		t.Fatalf("warning %q, embedding %s", ix.Warning, ix.Manifest.Embedding)
	}
	rs, err := ix.Search(context.Background(), KindExamples, "tcp retransmissions", 3, "")
	if err != nil || len(rs) == 0 {
		t.Fatalf("%v %v", rs, err)
	}
	if again, _ := Shared(context.Background(), nil); again != ix {
		t.Error("Shared opened the index twice")
	}
}

// Shared keeps one index per kernel, not per *kb.KB: a server reloading
// its kb twenty times keeps one index (and no old kb alive through it),
// and at most maxShared kernels' indexes at once.
func TestSharedPerKernel(t *testing.T) {
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	t.Setenv("KGENT_EMBED_BASE_URL", "")
	small := func(kernel string) *kb.KB {
		return kb.New(kb.Data{Meta: kb.Meta{Kernel: kernel, Source: "btf-file", BTFSHA256: "sha-" + kernel}})
	}
	first, err := Shared(context.Background(), small("reload"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		ix, err := Shared(context.Background(), small("reload"))
		if err != nil || ix != first {
			t.Fatalf("reload %d: a new index (%v)", i, err)
		}
	}
	for i := 0; i < maxShared+2; i++ {
		if _, err := Shared(context.Background(), small(fmt.Sprintf("k%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	shared.mu.Lock()
	n := len(shared.m)
	shared.mu.Unlock()
	if n > maxShared {
		t.Fatalf("%d indexes kept", n)
	}
}
