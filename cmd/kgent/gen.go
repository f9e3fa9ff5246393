package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kgent/kgent/agent"
	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/kb"
)

func init() {
	register("gen", "generate an eBPF program from a request in words", runGen)
}

// agentFlags are shared by gen and eval.
type agentFlags struct {
	kbFlags
	lang, provider string
	attempts       int
	noVerify       bool
	timeout        time.Duration
}

func (f *agentFlags) add(fs *flag.FlagSet) {
	addKBFlags(fs, &f.kbFlags)
	fs.StringVar(&f.lang, "lang", "bt", "bt (bpftrace) or c")
	fs.StringVar(&f.provider, "provider", "", "offline or openai (default: openai when KGENT_LLM_BASE_URL or OPENAI_API_KEY is set, else offline)")
	fs.IntVar(&f.attempts, "attempts", 3, "model attempts before giving up")
	fs.BoolVar(&f.noVerify, "no-verify", false, "static checks only: no compiler, verifier or bpftrace pass")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Minute, "limit for one request (all attempts)")
}

// setup resolves the configuration (flags over the environment), loads
// the kb and chooses the provider: --provider, else llm settings from the
// environment (KGENT_LLM_PROVIDER, KGENT_LLM_BASE_URL, KGENT_LLM_MODEL,
// OPENAI_API_KEY), else offline.
func (f *agentFlags) setup(stderr io.Writer) (*kb.KB, agent.Options, analysis.Dialect, error) {
	d := analysis.ParseDialect(f.lang)
	if d == analysis.DialectNone {
		return nil, agent.Options{}, d, usageErr("unknown --lang %q (bt, c)", f.lang)
	}
	if f.attempts < 1 {
		return nil, agent.Options{}, d, usageErr("--attempts must be at least 1")
	}
	cfg, err := resolveConfig(pipeline.Settings{KBDir: f.dir, TargetBTF: f.btf, LLM: pipeline.LLM{Provider: f.provider}})
	if err != nil {
		return nil, agent.Options{}, d, err
	}
	opts := agent.Options{Attempts: f.attempts, Verify: !f.noVerify}
	if opts.Provider, err = agent.ProviderFor(cfg.LLM, os.Getenv); err != nil {
		return nil, opts, d, usageErr("%v", err)
	}
	if opts.Pipeline, err = openPipeline(cfg, f.kbFlags, stderr); err != nil {
		return nil, opts, d, err
	}
	return opts.Pipeline.KB(), opts, d, nil
}

// signalContext ends on SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
}

func runGen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("gen", `gen [--lang bt|c] [--provider offline|openai] [--attempts N] [--out FILE] [--json] "request"`, stderr)
	var af agentFlags
	af.add(fs)
	out := fs.String("out", "", "write the program to FILE (replacing it) instead of stdout")
	asJSON := fs.Bool("json", false, "print the whole result (program, attempts with findings, explanation, tokens, timings) as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	request := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if request == "" {
		return usageErr(`no request: kgent gen "trace tcp connects with pid and comm"`)
	}
	_, opts, d, err := af.setup(stderr)
	if err != nil {
		return err
	}
	opts.Progress = func(s string) { fmt.Fprintln(stderr, "kgent gen:", s) }
	ctx, stop := signalContext()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, af.timeout)
	defer cancel()
	r, err := agent.Generate(ctx, agent.Request{Text: request, Lang: d}, opts)
	if r == nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	for _, n := range r.Notes {
		if !strings.HasPrefix(n, "intent:") { // said below
			fmt.Fprintln(stderr, "kgent gen: note:", n)
		}
	}
	if r.Intent != nil {
		fmt.Fprintln(stderr, "kgent gen: intent: the program", r.Intent.Sentence)
	}
	if r.Explanation != "" && !*asJSON {
		fmt.Fprintln(stderr, "kgent gen: what it does:", r.Explanation)
	}
	printFindings(stderr, r)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(jsonResult(r)); err != nil {
			return err
		}
	} else if *out == "" {
		fmt.Fprint(stdout, r.Program)
	}
	if *out != "" {
		if err := os.WriteFile(*out, []byte(r.Program), 0o644); err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
		fmt.Fprintln(stderr, "kgent gen: wrote", *out)
	}
	switch {
	case err != nil:
		return &exitError{code: 1, msg: err.Error()}
	case !r.Clean:
		return &exitError{code: 1, msg: "the program does not pass the checks (findings above)"}
	}
	status := "passes the static checks"
	if r.Verified {
		status += " and verification"
	} else if !opts.Verify {
		status += " (not verified: --no-verify)"
	}
	fmt.Fprintln(stderr, "kgent gen:", status)
	return nil
}

// printFindings lists the final program's findings as FILE:LINE:COL.
func printFindings(w io.Writer, r *agent.Result) {
	name := "generated.bt"
	if r.Lang == analysis.DialectC {
		name = "generated.bpf.c"
	}
	idx := analysis.NewLineIndex(r.Program)
	for _, f := range r.Findings {
		p := idx.Position(f.Span.Start)
		fmt.Fprintf(w, "%s:%d:%d: %s %s: %s\n", name, p.Line+1, p.Character+1, f.Severity, f.Code, f.Message)
	}
}

// The JSON shapes of gen --json: findings as codes and messages with
// 1-based lines, durations in milliseconds.
type jsonFinding struct {
	Line     int    `json:"line"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

type jsonAttempt struct {
	Program          string        `json:"program,omitempty"`
	Reply            string        `json:"reply,omitempty"`
	Findings         []jsonFinding `json:"findings"`
	Repaired         []string      `json:"repaired,omitempty"`
	Error            string        `json:"error,omitempty"`
	PromptTokens     int           `json:"prompt_tokens"`
	CompletionTokens int           `json:"completion_tokens"`
	ModelMS          int64         `json:"model_ms"`
	CheckMS          int64         `json:"check_ms"`
}

type jsonGen struct {
	Program          string        `json:"program"`
	Language         string        `json:"language"`
	Provider         string        `json:"provider"`
	Example          string        `json:"example,omitempty"`
	Context          []string      `json:"context,omitempty"`
	Clean            bool          `json:"clean"`
	Verified         bool          `json:"verified"`
	Explanation      string        `json:"explanation,omitempty"`
	Mismatches       []string      `json:"mismatches,omitempty"`
	Notes            []string      `json:"notes,omitempty"`
	Findings         []jsonFinding `json:"findings"`
	Attempts         []jsonAttempt `json:"attempts"`
	Best             int           `json:"best_attempt"`
	PromptTokens     int           `json:"prompt_tokens"`
	CompletionTokens int           `json:"completion_tokens"`
	MS               int64         `json:"ms"`

	// Intent is the intent check's verdict on the program.
	Intent *agent.Verdict `json:"intent,omitempty"`
}

func jsonFindings(program string, fs []analysis.Finding) []jsonFinding {
	idx := analysis.NewLineIndex(program)
	out := []jsonFinding{}
	for _, f := range fs {
		out = append(out, jsonFinding{Line: idx.Position(f.Span.Start).Line + 1, Severity: f.Severity.String(), Code: f.Code, Message: f.Message})
	}
	return out
}

func jsonResult(r *agent.Result) jsonGen {
	g := jsonGen{Program: r.Program, Language: string(r.Lang), Provider: r.Provider, Example: r.Example, Context: r.Context,
		Clean: r.Clean, Verified: r.Verified, Explanation: r.Explanation, Mismatches: r.Mismatches, Notes: r.Notes,
		Findings: jsonFindings(r.Program, r.Findings), Best: r.Best + 1, PromptTokens: r.PromptTokens, Intent: r.Intent,
		CompletionTokens: r.CompletionTokens, MS: r.Duration.Milliseconds(), Attempts: []jsonAttempt{}}
	for _, a := range r.Attempts {
		g.Attempts = append(g.Attempts, jsonAttempt{Program: a.Program, Reply: a.Reply, Findings: jsonFindings(a.Program, a.Findings),
			Repaired: a.Repaired, Error: a.Err, PromptTokens: a.PromptTokens, CompletionTokens: a.CompletionTokens,
			ModelMS: a.ModelTime.Milliseconds(), CheckMS: a.CheckTime.Milliseconds()})
	}
	return g
}
