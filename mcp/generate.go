package mcp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/agent"
	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/report"
)

func (t *tools) generateDescription() string {
	const tail = " language is \"bpftrace\" or \"c\" (libbpf eBPF C); empty lets kgent choose. The answer carries the program, its " +
		"diagnostics (the check_program shape), clean (no errors), notes and an explanation. Nothing is run or attached; show the " +
		"program to the user, and check it again with check_program after any change."
	switch {
	case t.opts.ProviderErr != nil:
		return "Produce an eBPF program for a request in words. An LLM endpoint is configured for this server but cannot be used " +
			"(the tool answers with the reason); fix the server's KGENT_LLM_* environment." + tail
	case t.opts.Provider != nil:
		return "Produce an eBPF program for a request in words with kgent's agent and the LLM endpoint configured for this server " +
			"(provider " + t.opts.Provider.Name() + "): it retrieves similar verified examples and the target kernel's facts, asks the " +
			"model, checks every candidate (static checks, then the compiler and kernel verifier, or bpftrace's semantic pass), " +
			"applies kgent's deterministic repairs, feeds the remaining errors back, and retries. It can take a minute." + tail
	}
	return "Produce an eBPF program for a request in words. This server has no LLM endpoint configured, so it answers with kgent's " +
		"offline provider: the closest verified example from kgent's corpus, with the attach point, printed fields and pid or " +
		"command filters the request names adapted, checked again. The answer says so (provider \"offline\", offline: true): it is " +
		"retrieval, not generation, so adapt it to the request yourself and check it with check_program." + tail
}

// GenerateInput is the input of generate_program.
type GenerateInput struct {
	Request  string `json:"request" jsonschema:"what the program should do, in words"`
	Language string `json:"language,omitempty" jsonschema:"bpftrace or c; empty lets kgent choose"`
}

// AttemptOut is one candidate of a model-backed run.
type AttemptOut struct {
	Errors     int      `json:"errors"`
	Codes      []string `json:"codes,omitempty" jsonschema:"the codes of the errors the checks found"`
	Repaired   []string `json:"repaired,omitempty" jsonschema:"deterministic repairs kgent applied"`
	Error      string   `json:"error,omitempty" jsonschema:"why the reply had no usable program"`
	DurationMS int64    `json:"duration_ms"`
}

// GenerateOutput is the output of generate_program.
type GenerateOutput struct {
	Program  string `json:"program"`
	Language string `json:"language"`
	Provider string `json:"provider" jsonschema:"offline, or the LLM provider (openai)"`
	// Offline is true when no model wrote the program: it is a verified
	// example retrieved (and adapted) for the request.
	Offline     bool   `json:"offline"`
	Clean       bool   `json:"clean" jsonschema:"no error from the checks that ran"`
	Verified    bool   `json:"verified" jsonschema:"the compiler and verifier, or bpftrace, accepted the program"`
	Example     string `json:"example,omitempty" jsonschema:"the corpus example it comes from (offline)"`
	Explanation string `json:"explanation"`
	// Mismatches are words of the request (events, fields, filters) that
	// neither the explanation nor the program mentions: check them.
	Mismatches []string `json:"mismatches,omitempty" jsonschema:"words of the request the program does not seem to cover"`
	// Intent is kgent's intent check: whether the program traces and
	// measures what the request asks (fits), and what it misses.
	Intent *agent.Verdict `json:"intent,omitempty" jsonschema:"whether the program does what the request asks: events, measurement, keys, filters"`
	// Context is what the prompt carried (examples, kernel specs).
	Context     []string                `json:"context,omitempty" jsonschema:"the examples and kernel facts the model was given"`
	Notes       []string                `json:"notes"`
	Diagnostics []report.JSONDiagnostic `json:"diagnostics"`
	Attempts    []AttemptOut            `json:"attempts,omitempty"`
	Tokens      int                     `json:"tokens,omitempty"`
	DurationMS  int64                   `json:"duration_ms"`
}

func (t *tools) generate(ctx context.Context, req *mcp.CallToolRequest, in GenerateInput) (GenerateOutput, error) {
	out := GenerateOutput{Notes: []string{}, Diagnostics: []report.JSONDiagnostic{}}
	text := strings.TrimSpace(in.Request)
	if text == "" {
		return out, errors.New("request is empty: say what the program should do")
	}
	if len(text) > maxRequest {
		return out, fmt.Errorf("request is longer than %d bytes", maxRequest)
	}
	var d analysis.Dialect
	if strings.TrimSpace(in.Language) != "" {
		var err error
		if d, err = dialectOf(in.Language); err != nil {
			return out, err
		}
	}
	if t.opts.ProviderErr != nil {
		return out, fmt.Errorf("the configured LLM endpoint cannot be used: %v (unset KGENT_LLM_BASE_URL and OPENAI_API_KEY for the offline provider)", t.opts.ProviderErr)
	}
	release, err := acquire(ctx, t.gen)
	if err != nil {
		return out, err
	}
	defer release()
	start := time.Now()
	opts := agent.Options{Pipeline: t.p, Provider: t.opts.Provider, Verify: true, Progress: progress(ctx, req)}
	r, err := agent.Generate(ctx, agent.Request{Text: text, Lang: d}, opts)
	if err != nil {
		return out, err
	}
	out = GenerateOutput{Program: r.Program, Language: string(r.Lang), Provider: r.Provider, Offline: t.opts.Provider == nil,
		Clean: r.Clean, Verified: r.Verified, Example: r.Example, Explanation: r.Explanation, Mismatches: r.Mismatches,
		Context: r.Context, Notes: append([]string{}, r.Notes...), Diagnostics: report.Diagnostics(fileName(r.Lang), r.Program, r.Findings),
		Tokens: r.PromptTokens + r.CompletionTokens, DurationMS: time.Since(start).Milliseconds(), Intent: r.Intent}
	for _, a := range r.Attempts {
		ao := AttemptOut{Repaired: a.Repaired, Error: a.Err, DurationMS: a.Duration.Milliseconds()}
		for _, f := range a.Findings {
			if f.Severity == analysis.Error {
				ao.Errors++
				ao.Codes = append(ao.Codes, f.Code)
			}
		}
		out.Attempts = append(out.Attempts, ao)
	}
	return out, nil
}

// progress forwards the agent's steps as MCP progress notifications when
// the client asked for them (a progress token in the call).
func progress(ctx context.Context, req *mcp.CallToolRequest) func(string) {
	if req == nil || req.Session == nil || req.Params == nil {
		return nil
	}
	tok := req.Params.GetProgressToken()
	if tok == nil {
		return nil
	}
	n := 0
	return func(msg string) {
		n++
		_ = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok, Message: msg, Progress: float64(n)})
	}
}
