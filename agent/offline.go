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
	"github.com/kgent/kgent/analysis/bpftrace"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/kb"
)

// ErrNoMatch means no example is close enough to the request.
var ErrNoMatch = errors.New("no verified example is close to this request; the offline provider only adapts examples (configure an LLM endpoint with KGENT_LLM_BASE_URL/KGENT_LLM_MODEL to generate)")

var (
	pidRe  = regexp.MustCompile(`(?i)\bpid\s*(?:=|==|is)?\s*(\d+)`)
	commRe = regexp.MustCompile(`(?i)\b(?:comm|command|process(?: named)?|program(?: named)?)\s*(?:=|==|is|named)?\s*["']([A-Za-z0-9_.-]+)["']`)
)

// Offline answers a request from the corpus with static checks only; it
// is Generate without a provider and without verification.
func Offline(p *pipeline.Pipeline, req Request) (*Result, error) {
	return Generate(context.Background(), req, Options{Pipeline: p})
}

// offline is the offline provider: the closest verified example of the
// requested language, adapted (attach point, printed fields, pid or
// command filter) where the request names them, then checked like a
// model's candidate.
func offline(ctx context.Context, req Request, opts Options) (*Result, error) {
	start := time.Now()
	say := func(format string, args ...any) {
		if opts.Progress != nil {
			opts.Progress(fmt.Sprintf(format, args...))
		}
	}
	want := ""
	switch req.Lang {
	case analysis.DialectBpftrace:
		want = "bpftrace"
	case analysis.DialectC:
		want = "c"
	}
	say("offline provider: retrieving the closest verified example")
	hits, err := opts.Retriever.Search(ctx, KindExamples, req.Text, 12)
	if err != nil {
		return nil, err
	}
	var found []Hit
	for _, h := range hits {
		if want == "" || h.Dialect == want {
			found = append(found, h)
		}
	}
	if len(found) == 0 {
		return nil, ErrNoMatch
	}
	best := found[0]
	r := &Result{Provider: "offline", Example: best.Name, Program: best.Text,
		Lang:        analysis.ParseDialect(best.Dialect),
		Explanation: best.Description,
		Context:     []string{"example " + best.Name},
		Notes:       []string{fmt.Sprintf("offline provider: this is the verified example %q retrieved for the request, not a generated program", best.Name)}}
	t1 := time.Now()
	if r.Lang == analysis.DialectBpftrace {
		r.Program, r.Notes = adaptAttach(opts.kb(), r.Program, req.Text, r.Notes)
		r.Program, r.Notes = adaptPrinted(opts.kb(), r.Program, req.Text, r.Notes)
		r.Program, r.Notes = adaptBpftrace(r.Program, req.Text, r.Notes)
	}
	for _, alt := range found[1:min(len(found), 3)] {
		r.Notes = append(r.Notes, fmt.Sprintf("also close: %s (%s)", alt.Name, alt.Title))
	}
	a := Attempt{Program: r.Program, Reply: best.Text}
	if a.Findings, a.Verified, err = checkProgram(ctx, r.Program, r.Lang, opts); err != nil {
		return nil, err
	}
	for _, n := range r.Notes[1:] {
		if strings.HasPrefix(n, "adapted:") {
			a.Repaired = append(a.Repaired, n)
		}
	}
	a.CheckTime = time.Since(t1)
	a.Duration = a.CheckTime
	r.Attempts = []Attempt{a}
	r.Findings = a.Findings
	r.Clean = !analysis.HasErrors(a.Findings)
	r.Verified = r.Clean && a.Verified
	say("offline provider: %s: %s", best.Name, summary(a.Findings, a.Verified))
	if r.Mismatches = mismatches(req.Text, r.Explanation+" "+best.Title, r.Program); len(r.Mismatches) > 0 {
		r.Notes = append(r.Notes, mismatchNote(r.Mismatches))
	}
	r.Duration = time.Since(start)
	return r, nil
}

var syscallWordRe = regexp.MustCompile(`(?i)\b(openat|open|read|write|close|connect|accept4|accept|unlinkat|unlink|renameat2|rename|mkdir|mmap|munmap|brk|clone|execve|kill|sendto|recvfrom|ioctl|fsync|sync|nanosleep|getdents64|statx|chdir)\b`)
var sysTPRe = regexp.MustCompile(`tracepoint:syscalls:sys_(enter|exit)_([a-z0-9_]+)`)

// clean reports whether a bpftrace program has no error findings.
func clean(k *kb.KB, src string) bool {
	fs, err := check.File("adapted.bt", src, check.Options{KB: k, Dialect: analysis.DialectBpftrace})
	return err == nil && !analysis.HasErrors(fs)
}

// adaptAttach moves an example's syscall tracepoints to the syscall the
// request names (read instead of write), when that tracepoint exists on
// the target and the program still passes the checks.
func adaptAttach(k *kb.KB, src, request string, notes []string) (string, []string) {
	m := syscallWordRe.FindStringSubmatch(request)
	if m == nil || k == nil {
		return src, notes
	}
	want := strings.ToLower(m[1])
	cur := sysTPRe.FindStringSubmatch(src)
	if cur == nil || cur[2] == want {
		return src, notes
	}
	if _, ok := k.Tracepoint("syscalls", "sys_enter_"+want); !ok {
		return src, notes
	}
	adapted := strings.ReplaceAll(src, "sys_enter_"+cur[2], "sys_enter_"+want)
	adapted = strings.ReplaceAll(adapted, "sys_exit_"+cur[2], "sys_exit_"+want)
	if k != nil && !clean(k, adapted) {
		return src, append(notes, fmt.Sprintf("not adapted to %s: the example's fields do not exist there", want))
	}
	return adapted, append(notes, fmt.Sprintf("adapted: the %s tracepoints instead of %s", want, cur[2]))
}

var printedWords = []struct{ word, builtin, conv string }{
	{"pid", "pid", "%d"}, {"tid", "tid", "%d"}, {"uid", "uid", "%d"}, {"comm", "comm", "%s"},
	{"command", "comm", "%s"}, {"process name", "comm", "%s"}, {"cpu", "cpu", "%d"}, {"cgroup", "cgroup", "%d"},
}

var printfRe = regexp.MustCompile(`printf\("((?:[^"\\]|\\.)*)"`)

// adaptPrinted adds the fields the request asks to see (pid, comm, uid,
// ...) to the first printf that lacks them.
func adaptPrinted(k *kb.KB, src, request string, notes []string) (string, []string) {
	rq := strings.ToLower(request)
	loc := printfRe.FindStringSubmatchIndex(src)
	if loc == nil {
		return src, notes
	}
	// The printf statement ends at the first ");" after it.
	end := strings.Index(src[loc[1]:], ");")
	if end < 0 {
		return src, notes
	}
	end += loc[1]
	stmt := src[loc[0]:end]
	format := src[loc[2]:loc[3]]
	var added []string
	seen := map[string]bool{}
	newFormat := format
	nl := strings.HasSuffix(newFormat, `\n`)
	newFormat = strings.TrimSuffix(newFormat, `\n`)
	for _, w := range printedWords {
		if !strings.Contains(rq, w.word) || seen[w.builtin] || regexp.MustCompile(`\b`+w.builtin+`\b`).MatchString(stmt) {
			continue
		}
		seen[w.builtin] = true
		added = append(added, w.builtin)
		newFormat += " " + w.builtin + "=" + w.conv
	}
	if nl {
		newFormat += `\n`
	}
	if len(added) > 0 {
		stmt = src[loc[0]:loc[2]] + newFormat + src[loc[3]:end] + ", " + strings.Join(added, ", ")
	}
	if len(added) == 0 {
		return src, notes
	}
	adapted := src[:loc[0]] + stmt + src[end:]
	if k != nil && !clean(k, adapted) {
		return src, notes
	}
	return adapted, append(notes, "adapted: also prints "+strings.Join(added, ", "))
}

// adaptBpftrace adds the pid or command filter the request names to every
// probe that has no predicate yet.
func adaptBpftrace(src, request string, notes []string) (string, []string) {
	var pred string
	if m := pidRe.FindStringSubmatch(request); m != nil {
		pred = "pid == " + m[1]
	} else if m := commRe.FindStringSubmatch(request); m != nil {
		pred = `comm == "` + m[1] + `"`
	}
	if pred == "" {
		return src, notes
	}
	f, errs := bpftrace.Parse(src)
	if len(errs) > 0 {
		return src, notes
	}
	// Probes without a predicate get one; an existing predicate is
	// joined with &&. Edits apply from the end.
	type ins struct {
		at   int
		text string
	}
	var inserts []ins
	for _, p := range f.Probes {
		if p.Body == nil || len(p.Attach) == 0 {
			continue
		}
		switch p.Attach[0].Type {
		case "BEGIN", "END", "interval", "i", "profile", "p":
			continue
		}
		if p.Pred != nil {
			sp := p.Pred.NodeSpan()
			inserts = append(inserts, ins{sp.End, ") && " + pred}, ins{sp.Start, "("})
			continue
		}
		inserts = append(inserts, ins{p.Body.Span.Start, "/" + pred + "/\n"})
	}
	sort.SliceStable(inserts, func(i, j int) bool { return inserts[i].at > inserts[j].at })
	for _, x := range inserts {
		src = src[:x.at] + x.text + src[x.at:]
	}
	if len(inserts) > 0 {
		notes = append(notes, "adapted: added the filter /"+pred+"/ the request names")
	}
	return src, notes
}
