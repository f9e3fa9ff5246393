package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kgent/kgent/agent"
	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/kb"
)

func init() {
	register("gen", "generate an eBPF program from a request in words", runGen)
	register("eval", "run the agent on a file of requests and report", runEval)
}

// agentFlags are shared by gen and eval.
type agentFlags struct {
	kbFlags
	lang, provider string
	attempts       int
	noVerify       bool
}

func (f *agentFlags) add(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
	IntVar(*int, string, int, string)
}) {
	addKBFlags(fs, &f.kbFlags)
	fs.StringVar(&f.lang, "lang", "bt", "bt (bpftrace) or c")
	fs.StringVar(&f.provider, "provider", "", "offline or openai (default: openai when KGENT_LLM_BASE_URL or OPENAI_API_KEY is set)")
	fs.IntVar(&f.attempts, "attempts", 3, "attempts before giving up")
	fs.BoolVar(&f.noVerify, "no-verify", false, "static checks only: no compiler, verifier or bpftrace pass")
}

func (f *agentFlags) setup(stderr io.Writer) (*kb.KB, agent.Options, analysis.Dialect, error) {
	d := analysis.ParseDialect(f.lang)
	if d == analysis.DialectNone {
		return nil, agent.Options{}, d, usageErr("unknown --lang %q (bt, c)", f.lang)
	}
	k, err := kb.Load(f.options(stderr))
	if err != nil {
		return nil, agent.Options{}, d, &exitError{code: 2, msg: err.Error()}
	}
	opts := agent.Options{KB: k, Attempts: f.attempts}
	cfg, configured := agent.ConfigFromEnv()
	switch f.provider {
	case "offline":
	case "", "openai":
		if f.provider == "openai" || configured {
			p, err := agent.NewOpenAI(cfg)
			if err != nil {
				return nil, opts, d, usageErr("%v", err)
			}
			opts.Provider = p
		}
	default:
		return nil, opts, d, usageErr("unknown --provider %q (offline, openai)", f.provider)
	}
	if !f.noVerify {
		opts.Verifier = verify.New(verify.Options{KB: k})
	}
	return k, opts, d, nil
}

func runGen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("gen", `gen [--lang bt|c] [--provider offline|openai] [--attempts N] [--out FILE] [--json] "request"`, stderr)
	var af agentFlags
	af.add(fs)
	out := fs.String("out", "", "write the program to FILE")
	asJSON := fs.Bool("json", false, "print the whole result as JSON")
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
	opts.Progress = func(s string) { fmt.Fprintln(stderr, "gen:", s) }
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	r, err := agent.Generate(ctx, agent.Request{Text: request, Lang: d}, opts)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	for _, n := range r.Notes {
		fmt.Fprintln(stderr, "gen: note:", n)
	}
	if r.Explanation != "" && !*asJSON {
		fmt.Fprintln(stderr, "gen: explanation:", r.Explanation)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else if *out == "" {
		fmt.Fprint(stdout, r.Program)
	}
	if *out != "" {
		if err := os.WriteFile(*out, []byte(r.Program), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "gen: wrote", *out)
	}
	if !r.Clean {
		return &exitError{code: 1, msg: "the program does not pass the checks; the findings are above"}
	}
	return nil
}

type evalPrompt struct {
	Request      string   `json:"request"`
	Lang         string   `json:"lang"`
	ExpectProbes []string `json:"expect_probes"`
}

type evalRow struct {
	Request  string   `json:"request"`
	Verified bool     `json:"verified"`
	Attempts int      `json:"attempts"`
	Millis   int64    `json:"ms"`
	Tokens   int      `json:"tokens"`
	Example  string   `json:"example,omitempty"`
	ProbesOK bool     `json:"expected_probes"`
	Error    string   `json:"error,omitempty"`
	Findings []string `json:"findings,omitempty"`
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "eval PROMPTS [--provider offline|openai] [--out report.json]", stderr)
	var af agentFlags
	af.add(fs)
	out := fs.String("out", "", "write the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("eval takes one PROMPTS file (JSON list of {request, lang, expect_probes}, or one request per line)")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	var prompts []evalPrompt
	if json.Unmarshal(data, &prompts) != nil {
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				prompts = append(prompts, evalPrompt{Request: l})
			}
		}
	}
	_, opts, d, err := af.setup(stderr)
	if err != nil {
		return err
	}
	var rows []evalRow
	verified := 0
	for i, p := range prompts {
		pd := d
		if p.Lang != "" {
			pd = analysis.ParseDialect(p.Lang)
		}
		row := evalRow{Request: p.Request}
		r, err := agent.Generate(context.Background(), agent.Request{Text: p.Request, Lang: pd}, opts)
		if err != nil {
			row.Error = err.Error()
		} else {
			if r.Clean && opts.Verifier != nil {
				// The offline provider checks statically; verify for real.
				vr := opts.Verifier.Verify(context.Background(), "eval", r.Program, r.Lang)
				r.Findings = append(r.Findings, vr.Findings...)
				r.Clean = !analysis.HasErrors(r.Findings)
			}
			row.Verified, row.Attempts, row.Millis = r.Clean, len(r.Attempts), r.Duration.Milliseconds()
			row.Tokens, row.Example = r.PromptTokens+r.CompletionTokens, r.Example
			row.ProbesOK = true
			for _, probe := range p.ExpectProbes {
				if !strings.Contains(r.Program, probe) {
					row.ProbesOK = false
				}
			}
			for _, f := range r.Findings {
				if f.Severity == analysis.Error {
					row.Findings = append(row.Findings, f.Code+" "+f.Message)
				}
			}
		}
		if row.Verified {
			verified++
		}
		rows = append(rows, row)
		mark := "FAIL"
		if row.Verified {
			mark = "ok"
		}
		fmt.Fprintf(stdout, "%3d %-4s %-40.40s %s\n", i+1, mark, p.Request, row.Example+row.Error)
	}
	fmt.Fprintf(stdout, "%d/%d requests gave a program that passes verification\n", verified, len(rows))
	if *out != "" {
		b, _ := json.MarshalIndent(map[string]any{"verified": verified, "total": len(rows), "rows": rows}, "", "  ")
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
