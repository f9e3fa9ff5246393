package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kgent/kgent/agent"
	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

func init() {
	register("eval", "run the agent on a file of requests and report", runEval)
}

// evalPrompt is one request of a prompt set: JSON objects with the
// request, its language and the attach kinds a right answer uses
// ("tracepoint", "uretprobe", "xdp", ...; "tracepoint|tp_btf" accepts
// either), or plain lines.
type evalPrompt struct {
	Request      string   `json:"request"`
	Lang         string   `json:"lang,omitempty"`
	ExpectProbes []string `json:"expect_probes,omitempty"`
}

type evalRow struct {
	Request  string   `json:"request"`
	Lang     string   `json:"lang"`
	Verified bool     `json:"verified"`
	Clean    bool     `json:"clean"`
	Attempts int      `json:"attempts"`
	MS       int64    `json:"ms"`
	Tokens   int      `json:"tokens"`
	Example  string   `json:"example,omitempty"`
	Probes   []string `json:"probes"`
	ProbesOK bool     `json:"expected_probes"`
	Error    string   `json:"error,omitempty"`
	Findings []string `json:"findings,omitempty"`
	Mismatch []string `json:"mismatches,omitempty"`

	// Fits is the intent check's verdict (the program traces and
	// measures what was asked); Intent says it in words.
	Fits   bool   `json:"fits"`
	Intent string `json:"intent,omitempty"`
}

type evalReport struct {
	Provider  string    `json:"provider"`
	Kernel    string    `json:"kernel"`
	Total     int       `json:"total"`
	Verified  int       `json:"verified"`
	Clean     int       `json:"clean"`
	ProbesOK  int       `json:"expected_probes"`
	Errors    int       `json:"errors"`
	Tokens    int       `json:"tokens"`
	MedianMS  int64     `json:"median_ms"`
	MeanTries float64   `json:"mean_attempts"`
	Rows      []evalRow `json:"rows"`

	Fit int `json:"fit"` // rows whose program fits the request
}

// readPrompts reads a JSON list of evalPrompt, or one request per line
// (# starts a comment).
func readPrompts(data []byte) ([]evalPrompt, error) {
	trimmed := strings.TrimSpace(string(data))
	if strings.HasPrefix(trimmed, "[") {
		var ps []evalPrompt
		if err := json.Unmarshal(data, &ps); err != nil {
			return nil, fmt.Errorf("prompts: %w", err)
		}
		return ps, nil
	}
	var ps []evalPrompt
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			ps = append(ps, evalPrompt{Request: l})
		}
	}
	return ps, nil
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "eval PROMPTS [--provider offline|openai] [--lang bt|c] [--attempts N] [--out report.json]", stderr)
	var af agentFlags
	af.add(fs)
	out := fs.String("out", "", "write the report as JSON to this file")
	verbose := fs.Bool("v", false, "print each request's findings")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("eval takes one PROMPTS file (a JSON list of {request, lang, expect_probes}, or one request per line)")
	}
	data, err := kb.ReadRegular(fs.Arg(0), kb.MaxProgramSize)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	prompts, err := readPrompts(data)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	if len(prompts) == 0 {
		return &exitError{code: 2, msg: "no requests in " + fs.Arg(0)}
	}
	k, opts, d, err := af.setup(stderr)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	rep := evalReport{Provider: "offline", Kernel: k.Meta.Kernel, Total: len(prompts)}
	if opts.Provider != nil {
		rep.Provider = opts.Provider.Name()
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tresult\tlang\ttries\tms\ttokens\tprobes\trequest\texample / error")
	var times []int64
	tries := 0
	for i, p := range prompts {
		if ctx.Err() != nil {
			break
		}
		pd := d
		if p.Lang != "" {
			if pd = analysis.ParseDialect(p.Lang); pd == analysis.DialectNone {
				return &exitError{code: 2, msg: fmt.Sprintf("request %d: unknown lang %q", i+1, p.Lang)}
			}
		}
		row := evalRow{Request: p.Request, Lang: string(pd)}
		rctx, cancel := context.WithTimeout(ctx, af.timeout)
		t0 := time.Now()
		r, err := agent.Generate(rctx, agent.Request{Text: p.Request, Lang: pd}, opts)
		cancel()
		row.MS = time.Since(t0).Milliseconds()
		if err != nil {
			row.Error = err.Error()
			rep.Errors++
		}
		if r != nil {
			row.Verified, row.Clean, row.Attempts = r.Verified && err == nil, r.Clean, len(r.Attempts)
			row.Tokens, row.Example, row.Mismatch = r.PromptTokens+r.CompletionTokens, r.Example, r.Mismatches
			row.Probes = agent.ProbeKinds(r.Program, r.Lang)
			if r.Intent != nil {
				row.Fits, row.Intent = r.Intent.Fits, r.Intent.Sentence
			}
			row.ProbesOK = true
			for _, want := range p.ExpectProbes {
				// "tracepoint|tp_btf": any of these kinds will do.
				any := false
				for _, alt := range strings.Split(want, "|") {
					any = any || contains(row.Probes, alt)
				}
				row.ProbesOK = row.ProbesOK && any
			}
			for _, f := range r.Findings {
				if f.Severity == analysis.Error {
					row.Findings = append(row.Findings, f.Code+" "+f.Message)
				}
			}
		}
		rep.Rows = append(rep.Rows, row)
		if row.Verified {
			rep.Verified++
		}
		if row.Clean {
			rep.Clean++
		}
		if row.ProbesOK {
			rep.ProbesOK++
		}
		if row.Fits {
			rep.Fit++
		}
		rep.Tokens += row.Tokens
		times = append(times, row.MS)
		tries += row.Attempts
		mark := "FAIL"
		switch {
		case row.Verified:
			mark = "verified"
		case row.Clean:
			mark = "clean"
		}
		probes := strings.Join(row.Probes, ",")
		if !row.ProbesOK {
			probes += " (want " + strings.Join(p.ExpectProbes, ",") + ")"
		}
		if r != nil && !row.Fits {
			mark += ", misfit"
		}
		detail := row.Example
		if row.Error != "" {
			detail = row.Error
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", i+1, mark, row.Lang, row.Attempts, row.MS, row.Tokens, probes, short(p.Request, 48), short(detail, 60))
		if *verbose {
			for _, f := range row.Findings {
				fmt.Fprintf(tw, "\t\t\t\t\t\t\t  %s\t\n", f)
			}
		}
	}
	tw.Flush()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	if len(times) > 0 {
		rep.MedianMS = times[len(times)/2]
		rep.MeanTries = float64(tries) / float64(len(times))
	}
	fmt.Fprintf(stdout, "\n%s provider on Linux %s: %d/%d verified, %d clean, %d with the expected probe kinds, %d fit the request (intent check), %d errors; median %d ms, %.1f attempts and %d tokens in all\n",
		rep.Provider, rep.Kernel, rep.Verified, rep.Total, rep.Clean, rep.ProbesOK, rep.Fit, rep.Errors, rep.MedianMS, rep.MeanTries, rep.Tokens)
	if *out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
	}
	if ctx.Err() != nil {
		return &exitError{code: 1, msg: "interrupted"}
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// short cuts s to n runes with an ellipsis.
func short(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
