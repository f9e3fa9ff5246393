package retrieval

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/kgent/kgent/internal/endpoint"
)

// Field is text of a document with the weight its terms get: an
// example's title counts more than its description.
type Field struct {
	Text   string
	Weight float32
}

// LocalDim is the size of the local embedding's vectors: large enough
// that the few thousand distinct terms of a collection rarely share a
// coordinate.
const LocalDim = 768

// localVersion names the local embedding in the index key: change it
// whenever Terms, the groups or the weighting change, so persisted
// indexes are rebuilt.
const localVersion = "local-v1"

// stats are a collection's document frequencies: rarer terms weigh more
// (a request's "tcp" says more than its "count").
type stats struct {
	N  int
	DF map[string]int32 // built in memory; nil when read from the index file
	// The mapped form: sorted terms and their frequencies.
	file  *ixFile
	terms strList
	dfs   []byte
}

// df is the number of documents holding t.
func (s *stats) df(t string) int32 {
	if s.DF == nil && s.file != nil {
		return s.mappedDF(t)
	}
	return s.DF[t]
}

func (s *stats) add(terms map[string]float32) {
	s.N++
	for t := range terms {
		s.DF[t]++
	}
}

func (s *stats) idf(t string) float32 { return idf(s.N, s.df(t)) }

// weigh counts the terms of fields with their weights.
func weigh(fields []Field) map[string]float32 {
	tf := map[string]float32{}
	for _, f := range fields {
		for _, t := range Terms(f.Text) {
			tf[t] += f.Weight
		}
	}
	return tf
}

// localVector is the local embedding of counted terms: each term, weighted
// by 1+log(tf) and its rarity in the collection, is hashed to one signed
// coordinate (feature hashing, so no vocabulary is stored and unseen
// words still land somewhere); the vector is normalized. Deterministic:
// the same text always gives the same vector. Nil when no term counts.
func localVector(tf map[string]float32, st *stats) []float32 {
	const dim = LocalDim
	v := make([]float32, dim)
	any := false
	for t, w := range tf {
		// Whole identifiers are unique to one document: hashed, each
		// would land on some word's coordinate and lift an unrelated
		// document. Their parts carry the match.
		if w <= 0 || t[0] == '=' {
			continue
		}
		x := (1 + float32(math.Log(float64(max(w, 1))))) * st.idf(t)
		if w < 1 {
			x = w * st.idf(t)
		}
		h := fnv.New64a()
		h.Write([]byte(t))
		s := h.Sum64()
		sign := float32(1)
		if s>>63 == 1 {
			sign = -1
		}
		v[(s&0xffffffff)%dim] += sign * x
		any = true
	}
	if !any {
		return nil
	}
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		return nil
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// errNoMatch: none of the query's terms occurs in the collection.
var errNoMatch = errors.New("no document shares a word with the query")

// queryVector embeds a query for a local collection. Terms no document
// of the collection holds are left out: they cannot match, and their
// hashed coordinates would only meet other terms' by collision.
func queryVector(text string, st *stats) ([]float32, error) {
	tf := weigh([]Field{{Text: text, Weight: 1}})
	if len(tf) == 0 {
		return nil, ErrNoTerms
	}
	for t := range tf {
		if st.df(t) == 0 {
			delete(tf, t)
		}
	}
	v := localVector(tf, st)
	if v == nil {
		return nil, errNoMatch
	}
	return v, nil
}

// EmbeddingConfig selects an OpenAI-compatible embedding endpoint instead
// of the local embedding. Empty BaseURL and Model: local.
type EmbeddingConfig struct {
	BaseURL string // e.g. https://api.openai.com/v1 or http://localhost:11434/v1
	Model   string // e.g. text-embedding-3-small
	APIKey  string
	// KeyURL is the endpoint APIKey was configured for ("" is any); the
	// key is not sent to another BaseURL (a flag chose it).
	KeyURL string
	// Timeout bounds one request (default 60 s).
	Timeout time.Duration
}

// Remote reports whether c names an endpoint.
func (c EmbeddingConfig) Remote() bool { return c.BaseURL != "" || c.Model != "" }

func (c EmbeddingConfig) id() string {
	if !c.Remote() {
		return localVersion
	}
	return "openai:" + strings.TrimRight(c.BaseURL, "/") + "|" + c.Model
}

// remote embeds texts through an OpenAI-compatible /embeddings endpoint
// with the go-openai client, in batches.
type remote struct {
	client *openai.Client
	model  string
	cfg    EmbeddingConfig
	// withheld says why the configured key is not sent ("" when it is).
	withheld string
}

func newRemote(c EmbeddingConfig) (*remote, error) {
	if c.Model == "" {
		return nil, errors.New("an embedding endpoint needs a model (KGENT_EMBED_MODEL)")
	}
	withheld := ""
	if c.APIKey != "" && c.KeyURL != "" && !endpoint.Same(c.KeyURL, c.BaseURL) {
		withheld = strings.ReplaceAll(fmt.Sprintf("the API key from the environment is for %s, so it is not sent to the embedding endpoint %s; "+
			"to use a key there, set KGENT_EMBED_BASE_URL to it and the key in KGENT_EMBED_API_KEY", c.KeyURL, c.BaseURL), c.APIKey, "[redacted]")
		c.APIKey = ""
	}
	oc := openai.DefaultConfig(c.APIKey)
	if c.BaseURL != "" {
		oc.BaseURL = strings.TrimRight(c.BaseURL, "/")
	}
	if c.Timeout == 0 {
		c.Timeout = 60 * time.Second
	}
	return &remote{client: openai.NewClientWithConfig(oc), model: c.Model, cfg: c, withheld: withheld}, nil
}

const remoteBatch = 64

func (r *remote) embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += remoteBatch {
		end := min(start+remoteBatch, len(texts))
		cctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
		resp, err := r.client.CreateEmbeddings(cctx, openai.EmbeddingRequestStrings{Input: texts[start:end], Model: openai.EmbeddingModel(r.model)})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("embedding endpoint %s: %w", r.cfg.BaseURL, redact(err, r.cfg.APIKey))
		}
		if len(resp.Data) != end-start {
			return nil, fmt.Errorf("embedding endpoint %s answered %d vectors for %d texts", r.cfg.BaseURL, len(resp.Data), end-start)
		}
		batch := make([][]float32, end-start)
		for _, d := range resp.Data {
			if d.Index < 0 || d.Index >= len(batch) || len(d.Embedding) == 0 {
				return nil, fmt.Errorf("embedding endpoint %s answered a vector with index %d and %d dimensions", r.cfg.BaseURL, d.Index, len(d.Embedding))
			}
			batch[d.Index] = normalize(d.Embedding)
		}
		for i, v := range batch {
			if v == nil {
				return nil, fmt.Errorf("embedding endpoint %s answered no vector for text %d", r.cfg.BaseURL, start+i)
			}
			if len(out) > 0 && len(v) != len(out[0]) {
				return nil, fmt.Errorf("embedding endpoint %s answered vectors of %d and %d dimensions", r.cfg.BaseURL, len(out[0]), len(v))
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// redact keeps an API key out of error messages.
func redact(err error, key string) error {
	if key == "" || !strings.Contains(err.Error(), key) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), key, "[redacted]"))
}

func normalize(v []float32) []float32 {
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm == 0 || math.IsNaN(norm) {
		return nil
	}
	inv := float32(1 / math.Sqrt(norm))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * inv
	}
	return out
}
