// Package agent turns a request in words into an eBPF program. This file
// is the offline provider: no network and no model, it retrieves the
// closest verified example from kgent's corpus, adapts simple filters the
// request names (a pid, a command name), checks the result, and says
// plainly that it is retrieval, not generation.
package agent

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/bpftrace"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/kb/examples"
)

// Request is what the user asked for.
type Request struct {
	Text string
	// Lang is the requested form; none lets the provider choose.
	Lang analysis.Dialect
}

// Result is a program with how it was made and what the checks say.
type Result struct {
	Program  string
	Lang     analysis.Dialect
	Provider string // "offline"
	// Example is the corpus example the program comes from.
	Example     string
	Explanation string
	Notes       []string
	Findings    []analysis.Finding
	// Clean: no error findings from the checks.
	Clean bool
	// Attempts of a model-backed run, each with its findings.
	Attempts         []Attempt
	PromptTokens     int
	CompletionTokens int
	Duration         time.Duration
}

// ErrNoMatch means no example is close enough to the request.
var ErrNoMatch = errors.New("no verified example is close to this request; the offline provider only adapts examples (configure an LLM endpoint with KGENT_LLM_BASE_URL/KGENT_LLM_MODEL to generate)")

var (
	pidRe  = regexp.MustCompile(`(?i)\bpid\s*(?:=|==|is)?\s*(\d+)`)
	commRe = regexp.MustCompile(`(?i)\b(?:comm|command|process(?: named)?|program(?: named)?)\s*(?:=|==|is|named)?\s*["']([A-Za-z0-9_.-]+)["']`)
)

// Offline answers a request from the corpus.
func Offline(k *kb.KB, req Request) (*Result, error) {
	if strings.TrimSpace(req.Text) == "" {
		return nil, errors.New("empty request")
	}
	all, err := examples.Load()
	if err != nil {
		return nil, err
	}
	dialect := ""
	switch req.Lang {
	case analysis.DialectBpftrace:
		dialect = "bpftrace"
	case analysis.DialectC:
		dialect = "c"
	}
	found := examples.Search(all, req.Text, dialect, 3)
	if len(found) == 0 {
		return nil, ErrNoMatch
	}
	best := found[0].Example
	r := &Result{Provider: "offline", Example: best.Slug, Program: best.Source,
		Lang:        analysis.ParseDialect(best.Dialect),
		Explanation: best.Description,
		Notes:       []string{fmt.Sprintf("offline provider: this is the verified example %q retrieved for the request, not a generated program", best.Slug)}}
	if r.Lang == analysis.DialectBpftrace {
		r.Program, r.Notes = adaptBpftrace(r.Program, req.Text, r.Notes)
	}
	for _, alt := range found[1:] {
		r.Notes = append(r.Notes, fmt.Sprintf("also close: %s (%s)", alt.Example.Slug, alt.Example.Title))
	}
	fs, err := check.File(best.FileName(), r.Program, check.Options{KB: k, Dialect: r.Lang})
	if err != nil {
		return nil, err
	}
	r.Findings = fs
	r.Clean = !analysis.HasErrors(fs)
	return r, nil
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
	var inserts []int
	for _, p := range f.Probes {
		if p.Pred != nil || p.Body == nil {
			continue
		}
		switch p.Attach[0].Type {
		case "BEGIN", "END", "interval", "i", "profile", "p":
			continue
		}
		inserts = append(inserts, p.Body.Span.Start)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(inserts)))
	for _, at := range inserts {
		src = src[:at] + "/" + pred + "/\n" + src[at:]
	}
	if len(inserts) > 0 {
		notes = append(notes, "adapted: added the filter /"+pred+"/ the request names")
	}
	return src, notes
}
