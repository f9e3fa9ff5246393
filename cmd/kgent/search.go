package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/kb/examples"
	"github.com/kgent/kgent/kb/retrieval"
)

func init() {
	kbSubcommands["search"] = runKBSearch
}

func runKBSearch(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("kb search", "kb search [--kind "+strings.Join(retrieval.Kinds, "|")+"] [-n N] [--lang c|bpftrace] [--json] QUERY...", stderr)
	var kf kbFlags
	addKBFlags(fs, &kf)
	kind := fs.String("kind", retrieval.KindExamples, "what to search: "+strings.Join(retrieval.Kinds, ", "))
	n := fs.Int("n", 5, "how many results")
	lang := fs.String("lang", "", "examples only: c or bpftrace")
	asJSON := fs.Bool("json", false, "print JSON")
	reindex := fs.Bool("reindex", false, "rebuild the persisted index")
	embedURL := fs.String("embed-url", "", "an OpenAI-compatible embedding endpoint (default KGENT_EMBED_BASE_URL; none: the local embedding)")
	embedModel := fs.String("embed-model", "", "the endpoint's embedding model (default KGENT_EMBED_MODEL)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	query := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if query == "" {
		return usageErr("kb search needs a QUERY, e.g. kgent kb search how long do disk reads take")
	}
	if *n < 1 {
		return usageErr("-n must be at least 1")
	}
	valid := false
	for _, k := range retrieval.Kinds {
		valid = valid || k == *kind
	}
	if !valid {
		return usageErr("unknown --kind %q: one of %s", *kind, strings.Join(retrieval.Kinds, ", "))
	}
	switch *lang {
	case "", "c", "bpftrace":
	default:
		return usageErr("unknown --lang %q: c or bpftrace", *lang)
	}
	emb := retrieval.EmbeddingFromEnv()
	if *embedURL != "" {
		emb.BaseURL = *embedURL
	}
	if *embedModel != "" {
		emb.Model = *embedModel
	}
	if emb.Remote() && emb.Model == "" {
		return usageErr("an embedding endpoint needs a model: --embed-model or KGENT_EMBED_MODEL")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	exs, err := examples.Load()
	if err != nil {
		return err
	}
	var k *kb.KB
	if *kind != retrieval.KindExamples {
		if k, err = kb.Load(kf.options(stderr)); err != nil {
			return err
		}
	} else if kf.dir != "" || kf.btf != "" {
		// Examples do not depend on the kernel, but a kb named on the
		// command line must still be readable.
		if _, err := kb.Load(kf.options(stderr)); err != nil {
			return err
		}
	}
	ix, err := retrieval.Open(ctx, k, exs, retrieval.Options{
		Embedding: emb,
		Rebuild:   *reindex,
		Progress:  func(s string) { fmt.Fprintln(stderr, "index:", s) },
		Warn:      func(s string) { fmt.Fprintln(stderr, "kgent: warning:", s) },
	})
	if err != nil {
		return err
	}
	res, err := ix.Search(ctx, *kind, query, *n, *lang)
	if errors.Is(err, retrieval.ErrNoTerms) {
		return usageErr("%v", err)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		if res == nil {
			res = []retrieval.Result{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	if len(res) == 0 {
		fmt.Fprintf(stdout, "no %s match %q\n", *kind, query)
		return &exitError{code: 1}
	}
	for i, r := range res {
		switch r.Kind {
		case retrieval.KindExamples:
			fmt.Fprintf(stdout, "%d. %.3f  %s  (%s) %s\n", i+1, r.Score, r.ID, r.Dialect, r.Title)
			fmt.Fprintf(stdout, "          %s\n", r.Content)
		default:
			fmt.Fprintf(stdout, "%d. %.3f  %s\n", i+1, r.Score, r.ID)
			if c := firstLine(r.Content, 160); c != "" {
				fmt.Fprintf(stdout, "          %s\n", c)
			}
		}
	}
	return nil
}

func firstLine(s string, max int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
