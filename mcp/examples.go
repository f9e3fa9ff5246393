package mcp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/kb/examples"
	"github.com/kgent/kgent/kb/retrieval"
)

const searchDescription = "Search kgent's corpus of verified eBPF programs for a task described in words (e.g. \"latency of block I/O as a histogram\", " +
	"\"which files does a process open\"). Every program in it was accepted by the real bpftrace, or compiled and loaded through the kernel " +
	"verifier, and is clean under kgent's checks. language is \"bpftrace\", \"c\", or empty for both. Returns the closest programs, best first, " +
	"with their full source, a description, the probes they attach to and the facts they rely on: a good starting point to adapt."

// SearchInput is the input of search_examples.
type SearchInput struct {
	Query    string `json:"query" jsonschema:"what the program should do, in words"`
	Language string `json:"language,omitempty" jsonschema:"bpftrace, c, or empty for both"`
	Limit    int    `json:"limit,omitempty" jsonschema:"how many examples (default 3, at most 20)"`
}

// ExampleOut is one example in search results.
type ExampleOut struct {
	Slug        string   `json:"slug"`
	Language    string   `json:"language"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Probes      []string `json:"probes"`
	Facts       []string `json:"facts,omitempty" jsonschema:"kernel facts the program relies on"`
	Output      string   `json:"output,omitempty" jsonschema:"what the program prints"`
	Score       float64  `json:"score"`
	Source      string   `json:"source"`
}

// SearchOutput is the output of search_examples.
type SearchOutput struct {
	Examples []ExampleOut `json:"examples"`
	// Total is the number of programs searched.
	Total int `json:"total"`
}

func (t *tools) search(ctx context.Context, _ *mcp.CallToolRequest, in SearchInput) (SearchOutput, error) {
	out := SearchOutput{Examples: []ExampleOut{}}
	q := strings.TrimSpace(in.Query)
	if q == "" {
		return out, errors.New("query is empty: describe the program in words")
	}
	if len(q) > maxRequest {
		return out, fmt.Errorf("query is longer than %d bytes", maxRequest)
	}
	lang := ""
	if strings.TrimSpace(in.Language) != "" {
		d, err := dialectOf(in.Language)
		if err != nil {
			return out, err
		}
		lang = string(d) // "c" or "bpftrace", as the corpus names them
	}
	if in.Limit < 0 {
		return out, errors.New("limit must be positive")
	}
	n := in.Limit
	if n == 0 {
		n = 3
	}
	n = min(n, maxResults)
	all, err := examples.Corpus()
	if err != nil {
		return out, fmt.Errorf("the example corpus could not be read: %w", err)
	}
	out.Total = len(all)
	// Examples do not depend on the kernel: the examples-only index.
	ix, err := retrieval.Shared(ctx, nil)
	if err != nil {
		return out, fmt.Errorf("the example index could not be opened: %w", err)
	}
	res, err := ix.Search(ctx, retrieval.KindExamples, q, n, lang)
	if errors.Is(err, retrieval.ErrNoTerms) {
		return out, errors.New("the query has no words to search for: describe what the program should do")
	}
	if err != nil {
		return out, err
	}
	for _, r := range res {
		e, ok := examples.Get(r.ID)
		if !ok {
			continue
		}
		out.Examples = append(out.Examples, ExampleOut{Slug: e.Slug, Language: e.Dialect, Title: e.Title, Description: e.Description,
			Probes: e.Probes, Facts: e.Facts, Output: e.Output, Score: float64(r.Score), Source: e.Source})
	}
	return out, nil
}
