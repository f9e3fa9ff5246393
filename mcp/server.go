// Package mcp is kgent's second protocol front: Model Context Protocol
// tools for coding agents, over the same analysis as the CLI and the
// language server. It is the only package that imports the MCP SDK.
//
// Every tool is bounded: a time limit per call, a cap on the results, a
// limit on how much heavy work (verification, generation) runs at once, and
// a recover that turns a bug into a tool error instead of a dead server.
package mcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/agent"
	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/kb"
)

// Limits on the work one call may do.
const (
	maxSource     = 1 << 20 // bytes of a program to check
	maxRequest    = 4 << 10 // bytes of a request in words
	maxQuery      = 512     // bytes of a lookup or search query
	maxResults    = 20      // facts, matches or examples per answer
	maxNearest    = 5       // nearest names when nothing matches
	quickLimit    = 10 * time.Second
	verifyLimit   = 90 * time.Second
	generateLimit = 5 * time.Minute
)

// Options configure the server.
type Options struct {
	// Pipeline checks programs (its kb, bpftrace release, include paths
	// and verifier): the same call as kgent check and the editor, so a
	// program gets the same findings through every front.
	Pipeline *pipeline.Pipeline
	Version  string
	// Provider is the LLM behind generate_program; nil is the offline
	// provider. ProviderErr, when set, is why the configured provider could
	// not be made: generate_program answers with it instead of silently
	// falling back to the offline provider.
	Provider    agent.Provider
	ProviderErr error
	// Secrets never appear in any answer (the API key): they are replaced
	// in every error message as a last line of defence.
	Secrets []string
	// GenerateLimit bounds one generate_program call; default 5 minutes.
	GenerateLimit time.Duration
	// Logger receives server activity and recovered panics; nil is silent.
	Logger *slog.Logger
}

type tools struct {
	opts Options
	p    *pipeline.Pipeline
	k    *kb.KB
	// gen bounds concurrent generations (each holds a model call and
	// verifications).
	gen chan struct{}
	// checks bounds concurrent static checks (CPU and memory).
	checks chan struct{}
	log    *slog.Logger
}

// NewServer builds the MCP server with kgent's tools. opts.Pipeline, with
// a kb loaded, is required.
func NewServer(opts Options) *mcp.Server {
	if opts.Logger == nil {
		opts.Logger = discard()
	}
	if opts.GenerateLimit <= 0 {
		opts.GenerateLimit = generateLimit
	}
	k := opts.Pipeline.KB()
	t := &tools{opts: opts, p: opts.Pipeline, k: k, gen: make(chan struct{}, 2),
		checks: make(chan struct{}, max(2, 2*runtime.NumCPU())), log: opts.Logger}
	s := mcp.NewServer(&mcp.Implementation{Name: "kgent", Title: "kgent: eBPF checks against the real kernel", Version: opts.Version},
		&mcp.ServerOptions{Instructions: instructions(k), Logger: opts.Logger})
	f := false
	local := &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &f}
	genAnn := &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: &f}
	if opts.Provider != nil {
		tr := true
		genAnn.OpenWorldHint = &tr
	}
	mcp.AddTool(s, &mcp.Tool{Name: "check_program", Title: "Check an eBPF program", Description: checkDescription, Annotations: local},
		guard(t, "check_program", verifyLimit, t.check))
	mcp.AddTool(s, &mcp.Tool{Name: "lookup_kernel", Title: "Look up kernel facts", Description: lookupDescription, Annotations: local},
		guard(t, "lookup_kernel", quickLimit, t.lookup))
	mcp.AddTool(s, &mcp.Tool{Name: "search_examples", Title: "Search verified eBPF examples", Description: searchDescription, Annotations: local},
		guard(t, "search_examples", quickLimit, t.search))
	mcp.AddTool(s, &mcp.Tool{Name: "kernel_info", Title: "Describe the target kernel", Description: infoDescription, Annotations: local},
		guard(t, "kernel_info", quickLimit, t.info))
	mcp.AddTool(s, &mcp.Tool{Name: "generate_program", Title: "Generate an eBPF program", Description: t.generateDescription(), Annotations: genAnn},
		guard(t, "generate_program", opts.GenerateLimit, t.generate))
	return s
}

func instructions(k *kb.KB) string {
	ref := ""
	if k.Meta.Reference {
		ref = " (the embedded reference kernel: the target has no BTF)"
	}
	return "kgent knows the target kernel " + k.Meta.Kernel + ref + ": its helpers, kfuncs, functions, tracepoints and types, " +
		"and which attach kinds it supports. Before showing an eBPF program (libbpf C or bpftrace) to the user, call " +
		"check_program on it and fix what it reports; use lookup_kernel instead of guessing a name, a prototype or a field."
}

// guard wraps a tool handler (which checks its own input): the call runs
// under a time limit and answers when it is reached even if the work has
// not noticed yet; a panic becomes a tool error; secrets are scrubbed from
// every error.
func guard[In, Out any](t *tools, name string, limit time.Duration, h func(context.Context, *mcp.CallToolRequest, In) (Out, error)) mcp.ToolHandlerFor[In, Out] {
	return func(ctx context.Context, req *mcp.CallToolRequest, in In) (*mcp.CallToolResult, Out, error) {
		var zero Out
		ctx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		type answer struct {
			out Out
			err error
		}
		done := make(chan answer, 1)
		start := time.Now()
		go func() {
			defer func() {
				if r := recover(); r != nil {
					t.log.Error("tool panicked", "tool", name, "panic", r, "stack", string(debug.Stack()))
					done <- answer{err: fmt.Errorf("%s failed inside kgent (a bug, please report it): %v", name, r)}
				}
			}()
			out, err := h(ctx, req, in)
			done <- answer{out, err}
		}()
		var a answer
		select {
		case a = <-done:
		case <-ctx.Done():
			// The work goes on in the background until it notices ctx;
			// the client gets its answer now.
			a.err = ctx.Err()
		}
		if a.err == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			a.err = ctx.Err()
		}
		if a.err != nil {
			if errors.Is(a.err, context.DeadlineExceeded) {
				a.err = fmt.Errorf("%s did not finish within its limit of %v", name, limit)
			}
			t.log.Info("tool error", "tool", name, "error", t.scrub(a.err.Error()), "took", time.Since(start))
			return nil, zero, errors.New(t.scrub(a.err.Error()))
		}
		t.log.Debug("tool done", "tool", name, "took", time.Since(start))
		return nil, a.out, nil
	}
}

// scrub removes secrets from s.
func (t *tools) scrub(s string) string {
	for _, sec := range t.opts.Secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// acquire takes a slot of sem, or gives up when ctx ends.
func acquire(ctx context.Context, sem chan struct{}) (release func(), err error) {
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("the server is busy with other calls: %w", ctx.Err())
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
