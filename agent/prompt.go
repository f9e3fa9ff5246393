package agent

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/kb/examples"
	"github.com/kgent/kgent/kb/retrieval"
)

// Retrieval kinds a Retriever answers.
const (
	KindExamples    = "examples"
	KindHelpers     = "helpers"
	KindTracepoints = "tracepoints"
	KindFunctions   = "functions"
	KindKfuncs      = "kfuncs"
)

// Hit is one retrieved item.
type Hit struct {
	Kind    string // one of the Kind* constants
	Name    string // example slug, helper, "category:name", function
	Dialect string // for examples: "bpftrace" or "c"
	Text    string // what goes in the prompt: a program, a prototype, fields
	// Title and Description of an example; Probes it attaches to.
	Title, Description string
	Probes             []string
	Score              float64
}

// Retriever finds what the prompt needs for a request. kb/retrieval's
// index satisfies it through a small adapter; the default searches the
// embedded corpus and the kb's name indexes.
type Retriever interface {
	Search(ctx context.Context, kind, query string, n int) ([]Hit, error)
}

// NewRetriever is the built-in retriever: the retrieval index of the
// verified corpus and the kb's specs (kb/retrieval; k may be nil:
// examples only), after exact names the request spells out (a syscall, a
// bpf_ helper, a kernel function).
func NewRetriever(k *kb.KB) Retriever { return indexRetriever{k: k} }

type indexRetriever struct{ k *kb.KB }

var wordRe = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

func (r indexRetriever) Search(ctx context.Context, kind, query string, n int) ([]Hit, error) {
	if kind != KindExamples && kind != KindTracepoints && kind != KindHelpers && kind != KindFunctions && kind != KindKfuncs {
		return nil, fmt.Errorf("unknown retrieval kind %q", kind)
	}
	if kind != KindExamples && r.k == nil {
		return nil, nil
	}
	var out []Hit
	seen := map[string]bool{}
	add := func(h Hit) {
		if !seen[h.Name] && len(out) < n {
			seen[h.Name] = true
			out = append(out, h)
		}
	}
	// Names the request spells out come first.
	switch kind {
	case KindTracepoints:
		for _, m := range syscallWordRe.FindAllString(strings.ToLower(query), -1) {
			for _, dir := range []string{"enter", "exit"} {
				if tp, ok := r.k.Tracepoint("syscalls", "sys_"+dir+"_"+m); ok {
					add(Hit{Kind: kind, Name: tp.Category + ":" + tp.Name, Text: tracepointSpec(tp)})
				}
			}
		}
	case KindHelpers, KindFunctions, KindKfuncs:
		for _, w := range wordRe.FindAllString(query, -1) {
			if !strings.Contains(w, "_") {
				continue
			}
			if h, ok := r.k.Helper(w); ok && kind == KindHelpers {
				add(Hit{Kind: kind, Name: h.Name, Text: helperSpec(h)})
			} else if f, ok := r.k.Kfunc(w); ok && kind == KindKfuncs {
				add(Hit{Kind: kind, Name: f.Name, Text: f.Proto()})
			} else if f, ok := r.k.Func(w); ok && kind == KindFunctions {
				add(Hit{Kind: kind, Name: f.Name, Text: f.Proto()})
			}
		}
	}
	ix, err := retrieval.Shared(ctx, r.k)
	if err != nil {
		if len(out) > 0 {
			return out, nil
		}
		return nil, err
	}
	rs, err := ix.Search(ctx, kind, query, n, "")
	if err != nil && !errors.Is(err, retrieval.ErrNoTerms) {
		return out, err
	}
	for _, res := range rs {
		h := Hit{Kind: kind, Name: res.ID, Score: float64(res.Score)}
		switch kind {
		case KindExamples:
			e, ok := examples.Get(res.ID)
			if !ok {
				continue
			}
			h.Dialect, h.Text, h.Title, h.Description, h.Probes = e.Dialect, e.Source, e.Title, e.Description, e.Probes
		case KindTracepoints:
			cat, name, _ := strings.Cut(res.ID, ":")
			tp, ok := r.k.Tracepoint(cat, name)
			if !ok {
				continue
			}
			h.Text = tracepointSpec(tp)
		case KindHelpers:
			hp, ok := r.k.Helper(res.ID)
			if !ok {
				continue
			}
			h.Text = helperSpec(hp)
		default:
			h.Text = res.Content
		}
		add(h)
	}
	return out, nil
}

func tracepointSpec(tp *kb.Tracepoint) string {
	var fields []string
	for _, f := range tp.Fields {
		fields = append(fields, f.Type+" "+f.Name)
	}
	return fmt.Sprintf("tracepoint %s:%s fields: %s", tp.Category, tp.Name, strings.Join(fields, "; "))
}

func helperSpec(h *kb.Helper) string {
	if h.Func != nil {
		return "helper " + h.Func.Proto()
	}
	return "helper " + h.Name
}

// promptParts is the assembled user prompt and what went into it.
type promptParts struct {
	Text    string
	Used    []string // "example bt-opensnoop", "tracepoint syscalls:sys_enter_openat", ...
	Example string   // the closest example's slug
}

// approxTokens estimates tokens as a quarter of the bytes (CJK runes
// count about one token for three bytes, close enough for a budget).
func approxTokens(s string) int { return (len(s) + 3) / 4 }

var helperCallRe = regexp.MustCompile(`\b(bpf_[a-z0-9_]+)\s*\(`)

// buildPrompt assembles the request, the target kernel's attach support,
// the closest verified examples of the dialect and the specs of what they
// and the request touch, in that priority, within budget tokens.
func buildPrompt(ctx context.Context, request string, lang analysis.Dialect, k *kb.KB, r Retriever, budget int, btVersion string) promptParts {
	var p promptParts
	var b strings.Builder
	fits := func(s string) bool { return approxTokens(b.String())+approxTokens(s) <= budget }
	fmt.Fprintf(&b, "Request: %s\n\nWrite it as %s.\n", request, langName(lang))
	if k != nil {
		fmt.Fprintf(&b, "\nTarget kernel: Linux %s (%s).", k.Meta.Kernel, k.Meta.Machine)
		for _, kind := range []string{kb.AttachTracepoint, kb.AttachRawTP, kb.AttachTpBTF, kb.AttachKprobe, kb.AttachFentry, kb.AttachUprobe} {
			s := k.AttachSupport(kind)
			fmt.Fprintf(&b, "\n- %s: %s", kind, s.Supported)
			if s.Supported != kb.Yes && s.Reason != "" {
				fmt.Fprintf(&b, " (%s)", s.Reason)
			}
		}
		b.WriteString("\n")
	}
	if lang == analysis.DialectBpftrace && btVersion != "" {
		fmt.Fprintf(&b, "\nThe installed bpftrace is %s: use its syntax (tracepoint fields as args->name) and only these functions: %s.\n",
			btVersion, strings.Join(bpftraceFunctions(btVersion), ", "))
	}
	want := "bpftrace"
	if lang == analysis.DialectC {
		want = "c"
	}
	var exs []Hit
	if r != nil {
		hits, _ := r.Search(ctx, KindExamples, request, 8)
		for _, h := range hits {
			if h.Dialect == want && len(exs) < 3 {
				exs = append(exs, h)
			}
		}
	}
	for i, h := range exs {
		block := fmt.Sprintf("\nVerified example %q: %s\n```%s\n%s```\n", h.Name, h.Description, fence(lang), h.Text)
		if !fits(block) {
			continue
		}
		if i == 0 {
			p.Example = h.Name
		}
		b.WriteString(block)
		p.Used = append(p.Used, "example "+h.Name)
	}
	// Specs: tracepoints the request names, those the examples attach
	// to, the helpers the examples call, functions the request names.
	var specs []Hit
	if r != nil {
		tps, _ := r.Search(ctx, KindTracepoints, request, 4)
		specs = append(specs, tps...)
		var probes, calls []string
		for _, h := range exs {
			probes = append(probes, h.Probes...)
			for _, m := range helperCallRe.FindAllStringSubmatch(h.Text, -1) {
				calls = append(calls, m[1])
			}
		}
		if k != nil {
			for _, pr := range probes {
				parts := strings.FieldsFunc(strings.NewReplacer("tracepoint:", "", "tp/", "", "tracepoint/", "").Replace(pr), func(r rune) bool { return r == ':' || r == '/' })
				if len(parts) == 2 {
					if tp, ok := k.Tracepoint(parts[0], parts[1]); ok {
						specs = append(specs, Hit{Kind: KindTracepoints, Name: tp.Category + ":" + tp.Name, Text: tracepointSpec(tp)})
					}
				}
			}
		}
		if lang == analysis.DialectC {
			hs, _ := r.Search(ctx, KindHelpers, strings.Join(calls, " ")+" "+request, 12)
			specs = append(specs, hs...)
		}
		fns, _ := r.Search(ctx, KindFunctions, request, 4)
		specs = append(specs, fns...)
	}
	seen := map[string]bool{}
	header := false
	for _, s := range specs {
		key := s.Kind + " " + s.Name
		if seen[key] {
			continue
		}
		seen[key] = true
		line := "- " + s.Text + "\n"
		if !header {
			line = "\nFacts of the target kernel:\n" + line
		}
		if !fits(line) {
			continue
		}
		header = true
		b.WriteString(line)
		p.Used = append(p.Used, strings.TrimSuffix(s.Kind, "s")+" "+s.Name)
	}
	p.Text = b.String()
	return p
}

// bpftraceFunctions are the safe functions of a bpftrace version.
func bpftraceFunctions(version string) []string {
	var out []string
	for name, f := range kb.BpftraceFunctions {
		if !f.Unsafe && (f.Since == "" || kb.VersionAtLeast(version, f.Since)) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func langName(d analysis.Dialect) string {
	if d == analysis.DialectC {
		return "libbpf C (the BPF side, a *.bpf.c file including vmlinux.h and bpf/bpf_helpers.h, with a GPL license)"
	}
	return "a bpftrace script"
}

func fence(d analysis.Dialect) string {
	if d == analysis.DialectC {
		return "c"
	}
	return "bpftrace"
}

func systemPrompt(d analysis.Dialect) string {
	return "You write " + langName(d) + " for Linux. Use only helpers, functions, attach points, tracepoints and fields " +
		"that exist on the target kernel described by the user; prefer tracepoints, and never use an attach kind the kernel " +
		"does not support. Reply with exactly one fenced code block holding the complete program, and nothing that needs to run it."
}
