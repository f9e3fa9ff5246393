package agent

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/kb"
)

// Request is what the user asked for.
type Request struct {
	Text string
	// Lang is the requested form; none lets the provider choose (the
	// offline provider takes the closest example's; a model writes C
	// when the request names what only C does, such as XDP or a ring
	// buffer, else bpftrace).
	Lang analysis.Dialect
}

// Options of a generation run.
type Options struct {
	// Pipeline checks every candidate (its kb, bpftrace release and
	// verifier): the same call as kgent check and the editor.
	Pipeline *pipeline.Pipeline
	Provider Provider // nil: the offline provider
	Attempts int      // model attempts; default 3
	// Verify compiles and loads (C) or runs bpftrace's own pass on every
	// candidate the static checks accept, as an untrusted source (a model
	// writes what a prompt steers it to); false: static checks only.
	Verify bool
	// Retriever finds examples and specs for the prompt; nil: the
	// built-in one (NewRetriever(KB)).
	Retriever Retriever
	// Progress receives one line per step (attempt started, check
	// results, repairs). It is called from Generate's goroutine.
	Progress func(string)
	// PromptBudget caps the first prompt in tokens (about 4 bytes each);
	// default 3000.
	PromptBudget int
}

// kb is the kb candidates are checked against.
func (o Options) kb() *kb.KB { return o.Pipeline.KB() }

// Attempt is one candidate and what the checks said of it.
type Attempt struct {
	// Program after deterministic repairs; empty when the reply had none.
	Program string
	// Reply is the program as the model wrote it, before repairs.
	Reply    string
	Findings []analysis.Finding
	// Repaired lists the deterministic fixes applied ("KG304: Replace
	// with syscalls/sys_enter_openat").
	Repaired []string
	// Verified: the compiler and verifier (or bpftrace) ran on Program
	// to the end and accepted it.
	Verified bool
	// Intent is the intent check's verdict on Program (nil when the
	// reply had no program).
	Intent *Verdict
	// Err says why the reply had no usable program.
	Err              string
	PromptTokens     int
	CompletionTokens int
	// ModelTime is spent waiting for the model, CheckTime in checks,
	// repairs, compile and verifier; Duration is the whole attempt.
	ModelTime, CheckTime, Duration time.Duration
}

// Result is a program with how it was made and what the checks say.
type Result struct {
	Program  string
	Lang     analysis.Dialect
	Provider string // "offline", "openai"
	// Example is the corpus example the program comes from (offline), or
	// the closest example in the prompt.
	Example string
	// Context lists what the prompt carried: examples and kernel specs.
	Context     []string
	Explanation string
	// Intent is the intent check's verdict on Program: whether it traces
	// and measures what the request asks (Fits), and what it misses.
	Intent *Verdict
	// Mismatches are words of the request (events, fields, filters)
	// neither the explanation nor the program mentions.
	Mismatches []string
	Notes      []string
	// Findings of the final program (the best attempt).
	Findings []analysis.Finding
	// Clean: no error findings.
	Clean bool
	// Verified: clean, and the compiler and verifier (or bpftrace) ran
	// and accepted it.
	Verified bool
	// Attempts, each with its findings (one for the offline provider).
	Attempts []Attempt
	// Best is the index in Attempts of the attempt Program comes from.
	Best             int
	PromptTokens     int
	CompletionTokens int
	Duration         time.Duration
}

// Generate runs the agent: retrieve, synthesize, check, repair, feed
// back, repeat up to opts.Attempts times, then ask the model to explain
// the result. With no Provider it is the offline provider.
//
// Errors: an empty request, a provider failure (wrapping the provider's
// Err* category; never containing the API key), or ctx's error when it
// is cancelled. When a provider failure or cancellation comes after at
// least one attempt produced a program, the result holds the best
// attempt so far alongside the error.
func Generate(ctx context.Context, req Request, opts Options) (res *Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("agent: internal error (this is a bug): %v\n%s", p, debug.Stack())
		}
	}()
	if strings.TrimSpace(req.Text) == "" {
		return nil, errors.New("empty request")
	}
	if opts.Pipeline == nil || opts.Pipeline.KB() == nil {
		return nil, errors.New("agent: no kb to check programs against")
	}
	if opts.Retriever == nil {
		opts.Retriever = NewRetriever(opts.kb())
	}
	if opts.Provider == nil {
		return offline(ctx, req, opts)
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.PromptBudget <= 0 {
		opts.PromptBudget = 3000
	}
	start := time.Now()
	say := func(format string, args ...any) {
		if opts.Progress != nil {
			opts.Progress(fmt.Sprintf(format, args...))
		}
	}
	lang := req.Lang
	if lang == analysis.DialectNone {
		lang = requestLang(req.Text)
	}
	res = &Result{Provider: opts.Provider.Name(), Lang: lang, Best: -1}
	// The request's intent: every candidate that passes the checks is
	// compared with it, and one that misses it goes back to the model.
	in := ParseIntent(opts.kb(), req.Text)
	btVersion, _ := opts.Pipeline.BpftraceRelease()
	pp := buildPrompt(ctx, req.Text, lang, opts.kb(), opts.Retriever, opts.PromptBudget, btVersion)
	res.Context, res.Example = pp.Used, pp.Example
	base := []Message{{Role: "system", Content: systemPrompt(lang)}, {Role: "user", Content: pp.Text + intentPrompt(in)}}
	kernel := ""
	if opts.kb() != nil {
		kernel = " (Linux " + opts.kb().Meta.Kernel + ")"
	}
	mem := &memory{}
	msgs := base
	finish := func() {
		res.Duration = time.Since(start)
		if res.Best >= 0 {
			b := res.Attempts[res.Best]
			res.Program, res.Findings = b.Program, b.Findings
			res.Clean = !analysis.HasErrors(b.Findings)
			res.Verified = res.Clean && b.Verified
			res.Intent = b.Intent
		}
	}
	for i := 1; i <= opts.Attempts; i++ {
		if i == 1 {
			say("attempt 1/%d: asking %s with %s", opts.Attempts, opts.Provider.Name(), contextSummary(pp.Used))
		} else {
			say("attempt %d/%d: asking %s with the findings of attempt %d", i, opts.Attempts, opts.Provider.Name(), i-1)
		}
		a := Attempt{}
		t0 := time.Now()
		reply, err := opts.Provider.Complete(ctx, msgs)
		a.ModelTime = time.Since(t0)
		a.PromptTokens, a.CompletionTokens = reply.PromptTokens, reply.CompletionTokens
		res.PromptTokens += reply.PromptTokens
		res.CompletionTokens += reply.CompletionTokens
		if err != nil && !errors.Is(err, ErrBadReply) {
			a.Err, a.Duration = err.Error(), time.Since(t0)
			res.Attempts = append(res.Attempts, a)
			say("attempt %d: %v", i, err)
			finish()
			if res.Best >= 0 {
				res.Notes = append(res.Notes, "stopped early: "+err.Error())
				return res, err
			}
			return nil, err
		}
		t1 := time.Now()
		var code string
		if err == nil {
			code, err = extractCode(reply.Content, lang)
		}
		if err == nil {
			a.Reply, a.Program = code, code
			a.Findings, a.Verified, err = checkProgram(ctx, code, lang, opts)
		}
		if err != nil {
			a.Err = err.Error()
			a.CheckTime, a.Duration = time.Since(t1), time.Since(t0)
			res.Attempts = append(res.Attempts, a)
			say("attempt %d: %v", i, err)
			msgs = append(append([]Message{}, base...), Message{Role: "assistant", Content: reply.Content},
				Message{Role: "user", Content: feedback(i, a, mem, kernel) + " Use a ```" + fence(lang) + " block."})
			continue
		}
		for round := 0; round < maxRepairRounds && analysis.HasErrors(a.Findings); round++ {
			repaired, notes := repair(a.Program, a.Findings)
			if len(notes) == 0 || repaired == a.Program {
				break
			}
			say("attempt %d: kgent repaired %s", i, strings.Join(notes, "; "))
			a.Repaired = append(a.Repaired, notes...)
			fs, verified, err := checkProgram(ctx, repaired, lang, opts)
			if err != nil {
				break // the repair made it uncheckable: keep the program before it
			}
			a.Program, a.Findings, a.Verified = repaired, fs, verified
		}
		v := CheckIntent(in, a.Program, lang)
		a.Intent = &v
		misfit := in.Understood && !v.Fits
		a.CheckTime, a.Duration = time.Since(t1), time.Since(t0)
		res.Attempts = append(res.Attempts, a)
		if analysis.HasErrors(a.Findings) {
			say("attempt %d: %s", i, summary(a.Findings, a.Verified))
		} else {
			say("attempt %d: %s; intent: %s", i, summary(a.Findings, a.Verified), v.Sentence)
		}
		if res.Best < 0 || attemptScore(a, in) <= attemptScore(res.Attempts[res.Best], in) {
			res.Best = len(res.Attempts) - 1
		}
		if ctx.Err() != nil {
			finish()
			return res, fmt.Errorf("generation stopped: %w", ctx.Err())
		}
		if !analysis.HasErrors(a.Findings) && !misfit {
			break
		}
		// The conversation stays short: the first prompt, the failing
		// program and the feedback, which carries the memory. A program
		// that passes the checks but misses the request gets the intent
		// check's verdict as its feedback.
		fb := ""
		if analysis.HasErrors(a.Findings) {
			fb = feedback(i, a, mem, kernel)
		} else {
			fb = feedbackIntent(v, in)
		}
		msgs = append(append([]Message{}, base...), Message{Role: "assistant", Content: "```" + fence(lang) + "\n" + a.Program + "```"},
			Message{Role: "user", Content: fb})
		mem.record(i, a.Program, a.Findings)
	}
	finish()
	if res.Best < 0 {
		return nil, fmt.Errorf("no usable program after %d attempts: %s", len(res.Attempts), res.Attempts[len(res.Attempts)-1].Err)
	}
	if !res.Clean {
		res.Notes = append(res.Notes, fmt.Sprintf("no attempt passed the checks; this is the best of %d (attempt %d)", len(res.Attempts), res.Best+1))
	}
	if res.Intent != nil && !res.Intent.Fits {
		res.Notes = append(res.Notes, "intent: the program "+res.Intent.Sentence)
	}
	say("asking %s to explain the program", opts.Provider.Name())
	reply, err := opts.Provider.Complete(ctx, []Message{
		{Role: "system", Content: "You explain eBPF programs precisely and briefly."},
		{Role: "user", Content: "In one paragraph, state what this program does: the events it attaches to, the fields it reads, its filters and what it prints. Then list its assumptions (kernel facts, units).\n\n```" + fence(lang) + "\n" + res.Program + "```"},
	})
	res.PromptTokens += reply.PromptTokens
	res.CompletionTokens += reply.CompletionTokens
	if err == nil {
		res.Explanation = strings.TrimSpace(reply.Content)
		if res.Mismatches = mismatches(req.Text, res.Explanation, res.Program); len(res.Mismatches) > 0 {
			res.Notes = append(res.Notes, mismatchNote(res.Mismatches))
		}
	} else {
		res.Notes = append(res.Notes, "no explanation: "+err.Error())
	}
	res.Duration = time.Since(start)
	return res, nil
}

var cRequestRe = regexp.MustCompile(`(?i)\b(xdp|tc|traffic control|cgroup_skb|ring ?buf(fer)?|perf ?buffer|libbpf|in c|iterator|bpf_[a-z_]+|sec\(|co-re|skb)\b|环形缓冲`)

// requestLang is the language a model writes when the request does not
// say: C for what bpftrace cannot express (XDP, tc, ring buffers, ...),
// else bpftrace.
func requestLang(text string) analysis.Dialect {
	if cRequestRe.MatchString(text) {
		return analysis.DialectC
	}
	return analysis.DialectBpftrace
}

// contextSummary counts what the prompt carries: "2 examples, 5 kernel
// facts".
func contextSummary(used []string) string {
	ex := 0
	for _, u := range used {
		if strings.HasPrefix(u, "example ") {
			ex++
		}
	}
	return fmt.Sprintf("%d example(s) and %d kernel fact(s)", ex, len(used)-ex)
}

// checkProgram checks a candidate through the pipeline, as kgent check
// does, and, when the static checks pass, verifies it as an untrusted
// source. verified is true only when verification ran to the end on this
// program and reported no error. The error says why the candidate was
// not checked at all (binary, too large, an internal error of kgent, ctx
// ended): not a finding about a program, so the attempt has no program.
func checkProgram(ctx context.Context, code string, lang analysis.Dialect, opts Options) ([]analysis.Finding, bool, error) {
	name := "generated.bt"
	if lang == analysis.DialectC {
		name = "generated.bpf.c"
	}
	snap, err := opts.Pipeline.Analyze(ctx, pipeline.Document{Path: name, Text: code, Dialect: lang})
	if err != nil {
		return nil, false, err
	}
	if snap.NotChecked != nil {
		return nil, false, fmt.Errorf("the program was not checked: %w", snap.NotChecked)
	}
	if !opts.Verify || analysis.HasErrors(snap.Static) || ctx.Err() != nil {
		return snap.Static, false, nil
	}
	r := opts.Pipeline.Check(ctx, snap, pipeline.Options{Verify: true, Untrusted: true})
	return r.Findings, r.Verification.Ran && !analysis.HasErrors(r.Verification.Findings), nil
}

// attemptScore orders attempts, lower is better: errors first, then
// whether the program misses the request's intent.
func attemptScore(a Attempt, in Intent) int {
	s := 2 * errorCount(a.Findings)
	if in.Understood && a.Intent != nil && !a.Intent.Fits {
		s++
	}
	return s
}

func errorCount(fs []analysis.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Severity == analysis.Error {
			n++
		}
	}
	return n
}

func summary(fs []analysis.Finding, verified bool) string {
	if analysis.HasErrors(fs) {
		var codes []string
		for _, f := range fs {
			if f.Severity == analysis.Error {
				codes = append(codes, f.Code)
			}
		}
		return fmt.Sprintf("%d error(s): %s", len(codes), strings.Join(codes, ", "))
	}
	if verified {
		return "passes the static checks and verification"
	}
	return "passes the static checks (not verified)"
}
