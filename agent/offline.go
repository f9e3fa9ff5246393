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

// offline is the offline provider. It reads the request's intent
// (ParseIntent) and refuses when the target lacks what it asks for; else
// it takes the closest verified example of the requested language that
// fits the intent, adapted (attach point, printed fields, pid or command
// filter), or, when none fits, composes a program from the intent and
// the kb. The program is checked like a model's candidate, and the
// intent check's verdict goes with it: a program that does not fit is
// returned only with Intent.Fits false and a note saying so.
func offline(ctx context.Context, req Request, opts Options) (*Result, error) {
	start := time.Now()
	say := func(format string, args ...any) {
		if opts.Progress != nil {
			opts.Progress(fmt.Sprintf(format, args...))
		}
	}
	k := opts.kb()
	in := ParseIntent(k, req.Text)
	if ref := refusalFor(in); ref != nil {
		say("offline provider: the target lacks what the request asks; no program")
		return nil, ref
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
	t1 := time.Now()
	fromExample := func(h Hit) cand {
		r := &Result{Provider: "offline", Example: h.Name, Program: h.Text,
			Lang:        analysis.ParseDialect(h.Dialect),
			Explanation: h.Description,
			Context:     []string{"example " + h.Name},
			Notes:       []string{fmt.Sprintf("offline provider: this is the verified example %q retrieved for the request, not a generated program", h.Name)}}
		if r.Lang == analysis.DialectBpftrace {
			r.Program, r.Notes = adaptAttach(k, r.Program, req.Text, r.Notes)
			r.Program, r.Notes = adaptPrinted(k, r.Program, req.Text, r.Notes)
			r.Program, r.Notes = adaptBpftrace(r.Program, req.Text, r.Notes)
		}
		return cand{r: r, reply: h.Text, verdict: CheckIntent(in, r.Program, r.Lang)}
	}
	var pick *cand
	var firstCand *cand
	for i, h := range found[:min(len(found), 3)] {
		c := fromExample(h)
		if i == 0 {
			firstCand = &c
		}
		if c.verdict.Fits {
			pick = &c
			break
		}
	}
	if pick == nil && in.Understood {
		lang := analysis.DialectBpftrace
		if req.Lang == analysis.DialectC || req.Lang == analysis.DialectNone && cRequestRe.MatchString(req.Text) {
			lang = analysis.DialectC
		}
		if c, ok := composeFor(ctx, k, in, lang, opts); ok {
			pick = &c
		}
	}
	if pick == nil && firstCand != nil {
		pick = firstCand
	}
	if pick == nil {
		return nil, ErrNoMatch
	}
	r := pick.r
	if pick.r.Example != "" {
		for _, alt := range found[:min(len(found), 3)] {
			if alt.Name != r.Example {
				r.Notes = append(r.Notes, fmt.Sprintf("also close: %s (%s)", alt.Name, alt.Title))
			}
		}
	}
	a := Attempt{Program: r.Program, Reply: pick.reply}
	if a.Findings, a.Verified, err = checkProgram(ctx, r.Program, r.Lang, opts); err != nil {
		return nil, err
	}
	for _, n := range r.Notes[1:] {
		if strings.HasPrefix(n, "adapted:") {
			a.Repaired = append(a.Repaired, n)
		}
	}
	v := CheckIntent(in, r.Program, r.Lang)
	a.Intent = &v
	a.CheckTime = time.Since(t1)
	a.Duration = a.CheckTime
	r.Attempts = []Attempt{a}
	r.Findings = a.Findings
	r.Clean = !analysis.HasErrors(a.Findings)
	r.Verified = r.Clean && a.Verified
	r.Intent = &v
	if !v.Fits {
		r.Notes = append(r.Notes, "intent: the program "+v.Sentence)
	}
	if n := attachNote(k, v.Traced); n != "" && v.Fits {
		r.Notes = append(r.Notes, n)
	}
	name := r.Example
	if name == "" {
		name = "composed program"
	}
	say("offline provider: %s: %s; %s", name, summary(a.Findings, a.Verified), v.Sentence)
	if r.Mismatches = mismatches(req.Text, r.Explanation+" "+exampleTitle(found, r.Example), r.Program); len(r.Mismatches) > 0 {
		r.Notes = append(r.Notes, mismatchNote(r.Mismatches))
	}
	r.Duration = time.Since(start)
	return r, nil
}

// cand is a program the offline provider may answer with.
type cand struct {
	r       *Result
	reply   string
	verdict Verdict
}

func exampleTitle(found []Hit, name string) string {
	for _, h := range found {
		if h.Name == name {
			return h.Title
		}
	}
	return ""
}

// composeFor composes a program for the intent in lang, repairs what
// the static checks fix on their own, and keeps it when it is clean and
// fits.
func composeFor(ctx context.Context, k *kb.KB, in Intent, lang analysis.Dialect, opts Options) (cand, bool) {
	var out cand
	var prog string
	var notes []string
	var err error
	if lang == analysis.DialectC {
		prog, notes, err = composeC(k, in)
	} else {
		prog, notes, err = composeBpftrace(k, in)
	}
	if err != nil {
		return out, false
	}
	reply := prog
	fs, _, err := checkProgram(ctx, prog, lang, Options{Pipeline: opts.Pipeline})
	if err != nil {
		return out, false
	}
	for round := 0; round < maxRepairRounds && analysis.HasErrors(fs); round++ {
		repaired, rn := repair(prog, fs)
		if len(rn) == 0 || repaired == prog {
			break
		}
		nfs, _, err := checkProgram(ctx, repaired, lang, Options{Pipeline: opts.Pipeline})
		if err != nil {
			break
		}
		prog, fs = repaired, nfs
		notes = append(notes, rn...)
	}
	if analysis.HasErrors(fs) {
		return out, false
	}
	v := CheckIntent(in, prog, lang)
	if !v.Fits {
		return out, false
	}
	r := &Result{Provider: "offline", Program: prog, Lang: lang,
		Explanation: "Composed from the request's intent and the target's kb: " + strings.TrimPrefix(v.Sentence, "fits the request: ") + ".",
		Notes:       []string{"offline provider: no verified example fits the request; this program was composed from the request's intent and the kb (static checks and verification as usual)"}}
	for _, n := range notes {
		r.Notes = append(r.Notes, "composed: "+n)
	}
	out.r, out.reply, out.verdict = r, reply, v
	return out, true
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
	// The first printf of a probe that traces events: a header printed
	// in BEGIN has no pid or uid to add.
	var loc []int
	f, _ := bpftrace.Parse(src)
	for _, m := range printfRe.FindAllStringSubmatchIndex(src, -1) {
		for _, p := range f.Probes {
			if p.Body == nil || len(p.Attach) == 0 || m[0] < p.Body.Span.Start || m[0] >= p.Body.Span.End {
				continue
			}
			switch p.Attach[0].Type {
			case "BEGIN", "END", "interval", "i":
			default:
				loc = m
			}
		}
		if loc != nil {
			break
		}
	}
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
