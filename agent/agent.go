package agent

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/kb/examples"
)

// Options of a generation run.
type Options struct {
	KB       *kb.KB
	Provider Provider // nil: the offline provider
	Attempts int      // default 3
	// Verifier compiles and loads (C) or runs bpftrace's semantic pass;
	// nil skips verification.
	Verifier *verify.Verifier
	// Progress receives one line per step.
	Progress func(string)
	// PromptBudget caps the prompt in characters (about 4 per token);
	// default 12000.
	PromptBudget int
}

// Attempt is one candidate and what the checks said of it.
type Attempt struct {
	Program  string
	Findings []analysis.Finding
	// Repaired lists the deterministic fixes applied to it.
	Repaired []string
	Duration time.Duration
	Err      string
}

// Generate runs the agent: retrieve, synthesize, check, repair, feed back,
// repeat; then ask the model to explain the result.
func Generate(ctx context.Context, req Request, opts Options) (*Result, error) {
	if strings.TrimSpace(req.Text) == "" {
		return nil, errors.New("empty request")
	}
	if opts.Provider == nil {
		return Offline(opts.KB, req)
	}
	start := time.Now()
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.PromptBudget <= 0 {
		opts.PromptBudget = 12000
	}
	say := func(format string, args ...any) {
		if opts.Progress != nil {
			opts.Progress(fmt.Sprintf(format, args...))
		}
	}
	lang := req.Lang
	if lang == analysis.DialectNone {
		lang = analysis.DialectBpftrace
	}
	res := &Result{Provider: opts.Provider.Name(), Lang: lang}
	msgs := []Message{{Role: "system", Content: systemPrompt(lang)}, {Role: "user", Content: prompt(req.Text, lang, opts)}}
	var best *Attempt
	var lastErr error
	for i := 1; i <= opts.Attempts; i++ {
		say("attempt %d/%d: asking %s", i, opts.Attempts, opts.Provider.Name())
		t0 := time.Now()
		reply, err := opts.Provider.Complete(ctx, msgs)
		if err != nil {
			return nil, err
		}
		res.PromptTokens += reply.PromptTokens
		res.CompletionTokens += reply.CompletionTokens
		code, err := extractCode(reply.Content, lang)
		if err != nil {
			lastErr = err
			say("attempt %d: %v", i, err)
			res.Attempts = append(res.Attempts, Attempt{Err: err.Error(), Duration: time.Since(t0)})
			msgs = append(msgs, Message{Role: "assistant", Content: reply.Content},
				Message{Role: "user", Content: "Your reply had no usable program: " + err.Error() + ". Reply with exactly one fenced code block containing the complete " + langName(lang) + " program."})
			continue
		}
		a := Attempt{Program: code}
		a.Findings = checkProgram(ctx, code, lang, opts)
		if analysis.HasErrors(a.Findings) {
			repaired, notes := repair(code, a.Findings)
			if len(notes) > 0 {
				a.Repaired = notes
				say("attempt %d: deterministic repair: %s", i, strings.Join(notes, "; "))
				a.Program = repaired
				a.Findings = checkProgram(ctx, repaired, lang, opts)
			}
		}
		a.Duration = time.Since(t0)
		res.Attempts = append(res.Attempts, a)
		say("attempt %d: %s", i, summary(a.Findings))
		if best == nil || errorCount(a.Findings) < errorCount(best.Findings) {
			cp := a
			best = &cp
		}
		if !analysis.HasErrors(a.Findings) {
			break
		}
		msgs = append(msgs, Message{Role: "assistant", Content: "```" + fence(lang) + "\n" + a.Program + "\n```"},
			Message{Role: "user", Content: feedback(a, res.Attempts)})
	}
	if best == nil {
		if lastErr == nil {
			lastErr = errors.New("no attempt produced a program")
		}
		return nil, fmt.Errorf("after %d attempts: %w", opts.Attempts, lastErr)
	}
	res.Program, res.Findings = best.Program, best.Findings
	res.Clean = !analysis.HasErrors(best.Findings)
	// Comprehension: the model states what the final program does.
	reply, err := opts.Provider.Complete(ctx, []Message{
		{Role: "system", Content: "You explain eBPF programs precisely and briefly."},
		{Role: "user", Content: "In one paragraph, state what this program does and prints, then list its assumptions (kernel facts, units).\n\n```" + fence(lang) + "\n" + res.Program + "\n```"},
	})
	if err == nil {
		res.Explanation = strings.TrimSpace(reply.Content)
		res.PromptTokens += reply.PromptTokens
		res.CompletionTokens += reply.CompletionTokens
		res.Notes = append(res.Notes, mismatch(req.Text, res.Explanation)...)
	} else {
		res.Notes = append(res.Notes, "no explanation: "+err.Error())
	}
	res.Duration = time.Since(start)
	return res, nil
}

func langName(d analysis.Dialect) string {
	if d == analysis.DialectC {
		return "libbpf C (the BPF side, *.bpf.c)"
	}
	return "bpftrace"
}

func fence(d analysis.Dialect) string {
	if d == analysis.DialectC {
		return "c"
	}
	return "bpftrace"
}

func systemPrompt(d analysis.Dialect) string {
	return "You write " + langName(d) + " programs for Linux. Use only helpers, kernel functions, tracepoints and fields " +
		"that exist on the target kernel described below; prefer tracepoints. Reply with one fenced code block holding the complete program."
}

// prompt assembles the request, similar verified examples and the target
// kernel's facts, within the budget.
func prompt(request string, lang analysis.Dialect, opts Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Request: %s\n\n", request)
	if k := opts.KB; k != nil {
		fmt.Fprintf(&b, "Target kernel: %s.", k.Meta.Kernel)
		for _, kind := range []string{kb.AttachKprobe, kb.AttachFentry, kb.AttachTracepoint, kb.AttachUprobe} {
			fmt.Fprintf(&b, " %s: %s.", kind, k.AttachSupport(kind).Supported)
		}
		b.WriteString("\n\n")
	}
	all, err := examples.Load()
	if err == nil {
		dialect := "bpftrace"
		if lang == analysis.DialectC {
			dialect = "c"
		}
		found := examples.Search(all, request, dialect, 3)
		for _, s := range found {
			ex := fmt.Sprintf("Example (%s): %s\n```%s\n%s```\n\n", s.Example.Slug, s.Example.Description, fence(lang), s.Example.Source)
			if b.Len()+len(ex) > opts.PromptBudget {
				break
			}
			b.WriteString(ex)
		}
		// The kernel's own specs for the attach points the examples use:
		// tracepoint fields as this kernel defines them.
		if opts.KB != nil {
			seen := map[string]bool{}
			for _, s := range found {
				for _, probe := range s.Example.Probes {
					parts := strings.Split(strings.NewReplacer("tracepoint:", "", "tp/", "").Replace(probe), ":")
					if len(parts) != 2 || seen[probe] {
						continue
					}
					seen[probe] = true
					tp, ok := opts.KB.Tracepoint(parts[0], parts[1])
					if !ok {
						continue
					}
					var fields []string
					for _, f := range tp.Fields {
						fields = append(fields, f.Type+" "+f.Name)
					}
					spec := fmt.Sprintf("Tracepoint %s:%s fields: %s\n", tp.Category, tp.Name, strings.Join(fields, "; "))
					if b.Len()+len(spec) > opts.PromptBudget {
						break
					}
					b.WriteString(spec)
				}
			}
		}
	}
	return b.String()
}

var fenceRe = regexp.MustCompile("(?s)```([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```")

// extractCode takes the program out of a reply.
func extractCode(reply string, lang analysis.Dialect) (string, error) {
	m := fenceRe.FindAllStringSubmatch(reply, -1)
	if len(m) == 0 {
		return "", errors.New("no fenced code block in the reply")
	}
	code := m[0][2]
	tag := strings.ToLower(m[0][1])
	isC := strings.Contains(code, "SEC(") || strings.Contains(code, "#include")
	switch {
	case lang == analysis.DialectBpftrace && (tag == "c" || (isC && !strings.Contains(code, "#include <linux"))):
		return "", errors.New("the reply is C, not bpftrace")
	case lang == analysis.DialectC && (tag == "bpftrace" || tag == "bt" || !isC):
		return "", errors.New("the reply is not libbpf C")
	}
	if strings.TrimSpace(code) == "" {
		return "", errors.New("the code block is empty")
	}
	return code, nil
}

func checkProgram(ctx context.Context, code string, lang analysis.Dialect, opts Options) []analysis.Finding {
	name := "generated.bt"
	if lang == analysis.DialectC {
		name = "generated.bpf.c"
	}
	fs, err := check.File(name, code, check.Options{KB: opts.KB, Dialect: lang})
	if err != nil {
		return []analysis.Finding{analysis.New(analysis.KG100, analysis.Span{}, err.Error())}
	}
	if opts.Verifier != nil && !analysis.HasErrors(fs) {
		r := opts.Verifier.Verify(ctx, name, code, lang)
		fs = verify.Merge(fs, r.Findings)
	}
	return fs
}

// repair applies the first fix of every error finding that has one,
// without overlapping edits.
func repair(code string, fs []analysis.Finding) (string, []string) {
	type edit struct {
		e     analysis.Edit
		title string
	}
	var edits []edit
	for _, f := range fs {
		if f.Severity != analysis.Error || len(f.Fixes) == 0 || len(f.Fixes[0].Edits) != 1 {
			continue
		}
		edits = append(edits, edit{f.Fixes[0].Edits[0], f.Code + ": " + f.Fixes[0].Title})
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].e.Span.Start > edits[j].e.Span.Start })
	var notes []string
	last := len(code) + 1
	for _, e := range edits {
		if e.e.Span.End > last || e.e.Span.Start < 0 || e.e.Span.End > len(code) {
			continue
		}
		code = code[:e.e.Span.Start] + e.e.NewText + code[e.e.Span.End:]
		last = e.e.Span.Start
		notes = append(notes, e.title)
	}
	return code, notes
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

func summary(fs []analysis.Finding) string {
	if !analysis.HasErrors(fs) {
		return "passes the checks"
	}
	return fmt.Sprintf("%d error(s)", errorCount(fs))
}

// feedback tells the model exactly what failed, with what earlier attempts
// already tried (short-term memory).
func feedback(a Attempt, attempts []Attempt) string {
	var b strings.Builder
	b.WriteString("The program does not pass kgent's checks against the target kernel:\n")
	idx := analysis.NewLineIndex(a.Program)
	for _, f := range a.Findings {
		if f.Severity != analysis.Error {
			continue
		}
		p := idx.Position(f.Span.Start)
		fmt.Fprintf(&b, "- line %d: %s %s\n", p.Line+1, f.Code, f.Message)
	}
	if len(a.Repaired) > 0 {
		fmt.Fprintf(&b, "kgent already applied: %s.\n", strings.Join(a.Repaired, "; "))
	}
	var tried []string
	for _, prev := range attempts[:len(attempts)-1] {
		for _, f := range prev.Findings {
			if f.Severity == analysis.Error {
				tried = append(tried, f.Message)
			}
		}
	}
	if len(tried) > 0 {
		fmt.Fprintf(&b, "Earlier attempts failed with: %s. Do not repeat those choices.\n", strings.Join(tried, "; "))
	}
	b.WriteString("Fix every finding and reply with the complete corrected program in one fenced code block.")
	return b.String()
}

var eventWords = []string{"open", "read", "write", "connect", "accept", "exec", "exit", "fork", "kill", "signal", "tcp", "udp", "packet", "fault", "latency", "disk", "block", "malloc", "readline"}

// mismatch flags request keywords the explanation does not mention.
func mismatch(request, explanation string) []string {
	rq, ex := strings.ToLower(request), strings.ToLower(explanation)
	var missing []string
	for _, w := range eventWords {
		if strings.Contains(rq, w) && !strings.Contains(ex, w) {
			missing = append(missing, w)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return []string{"the explanation does not mention " + strings.Join(missing, ", ") + " from the request: check the program does what was asked"}
}
