// Package mcp is kgent's second protocol front: Model Context Protocol
// tools for coding agents, over the same analysis as the CLI and the
// language server. It is the only package that imports the MCP SDK.
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
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/analysis/report"
	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/kb/examples"
)

// Limits on the work one call may do.
const (
	maxSource    = 1 << 20
	maxResults   = 20
	toolDeadline = 90 * time.Second
)

// Options configure the server.
type Options struct {
	KB      *kb.KB
	Version string
}

// NewServer builds the MCP server with kgent's tools.
func NewServer(opts Options) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "kgent", Version: opts.Version}, nil)
	t := &tools{k: opts.KB, v: verify.New(verify.Options{KB: opts.KB})}
	mcp.AddTool(s, &mcp.Tool{
		Name: "check_program",
		Description: "Check an eBPF program (libbpf C or bpftrace) against the kernel this server runs on: invented helpers, kfuncs, " +
			"kernel functions, tracepoints, struct fields, probe kinds the kernel lacks, printf mismatches and more. Returns the same " +
			"findings as `kgent check --format json` (0-based lines, UTF-16 characters, stable codes, the nearest real name, fixes). " +
			"With verify=true it also compiles the C program and loads it through the kernel verifier (never attached), or runs " +
			"bpftrace's semantic pass. Call it on every program you write before showing it to the user.",
	}, t.check)
	mcp.AddTool(s, &mcp.Tool{
		Name: "lookup_kernel",
		Description: "Look up what the target kernel really offers. kind is one of: helper (prototype and the program types that may call it), " +
			"kfunc, function (BTF prototype; whether kprobe/fentry can attach on this kernel), tracepoint (category:name with its fields), " +
			"struct (members), sec (libbpf SEC() prefixes), bpftrace (bpftrace builtins and functions), or any. Returns exact matches, or the " +
			"nearest names when there is none.",
	}, t.lookup)
	mcp.AddTool(s, &mcp.Tool{
		Name: "search_examples",
		Description: "Search kgent's corpus of verified eBPF programs (each accepted by the real bpftrace or compiler and verifier on a " +
			"real kernel) for a task described in words. language is bpftrace, c, or empty for both. Returns the closest programs with their descriptions.",
	}, t.search)
	mcp.AddTool(s, &mcp.Tool{
		Name: "generate_program",
		Description: "Produce a program for a request in words. This server has no LLM endpoint configured, so it uses kgent's offline " +
			"provider: the closest verified example, with a pid or command filter adapted. The result says so (provider: offline); adapt it further yourself and check it with check_program.",
	}, t.generate)
	return s
}

type tools struct {
	k *kb.KB
	v *verify.Verifier
}

// CheckInput is the input of check_program.
type CheckInput struct {
	Source   string `json:"source" jsonschema:"the program text"`
	Language string `json:"language" jsonschema:"bpftrace or c"`
	Verify   bool   `json:"verify,omitempty" jsonschema:"also compile and load through the kernel verifier (or bpftrace's semantic pass)"`
}

// CheckOutput is the output of check_program.
type CheckOutput struct {
	Diagnostics []report.JSONDiagnostic `json:"diagnostics"`
	Errors      int                     `json:"errors"`
	Kernel      string                  `json:"kernel"`
}

func dialectOf(lang string) (analysis.Dialect, error) {
	d := analysis.ParseDialect(lang)
	if d == analysis.DialectNone {
		return d, fmt.Errorf("unknown language %q: use bpftrace or c", lang)
	}
	return d, nil
}

func (t *tools) check(ctx context.Context, _ *mcp.CallToolRequest, in CheckInput) (*mcp.CallToolResult, CheckOutput, error) {
	var out CheckOutput
	d, err := dialectOf(in.Language)
	if err != nil {
		return nil, out, err
	}
	if strings.TrimSpace(in.Source) == "" {
		return nil, out, errors.New("source is empty")
	}
	if len(in.Source) > maxSource {
		return nil, out, fmt.Errorf("source is larger than %d bytes", maxSource)
	}
	name := "program.bt"
	if d == analysis.DialectC {
		name = "program.bpf.c"
	}
	fs, err := check.File(name, in.Source, check.Options{KB: t.k, Dialect: d})
	if err != nil {
		return nil, out, err
	}
	if in.Verify {
		ctx, cancel := context.WithTimeout(ctx, toolDeadline)
		defer cancel()
		r := t.v.Verify(ctx, name, in.Source, d)
		fs = verify.Merge(fs, r.Findings)
	}
	out.Diagnostics = report.Diagnostics(name, in.Source, fs)
	for _, f := range fs {
		if f.Severity == analysis.Error {
			out.Errors++
		}
	}
	out.Kernel = t.k.Meta.Kernel
	return nil, out, nil
}

// LookupInput is the input of lookup_kernel.
type LookupInput struct {
	Kind  string `json:"kind" jsonschema:"helper, kfunc, function, tracepoint, struct, sec, bpftrace or any"`
	Query string `json:"query" jsonschema:"the name to look up, e.g. tcp_v4_connect or syscalls:sys_enter_openat"`
}

// LookupOutput is the output of lookup_kernel.
type LookupOutput struct {
	Facts   []kb.Fact `json:"facts"`
	Nearest []string  `json:"nearest,omitempty"`
}

var kindsOf = map[string][]string{
	"helper": {"helper"}, "kfunc": {"kfunc"}, "function": {"function"}, "tracepoint": {"tracepoint"},
	"struct": {"struct", "union", "typedef", "enum"}, "any": nil,
}

func (t *tools) lookup(_ context.Context, _ *mcp.CallToolRequest, in LookupInput) (*mcp.CallToolResult, LookupOutput, error) {
	var out LookupOutput
	q := strings.TrimSpace(in.Query)
	if q == "" {
		return nil, out, errors.New("query is empty")
	}
	switch in.Kind {
	case "sec":
		if def, target, ok := kb.LookupSEC(q); ok {
			out.Facts = append(out.Facts, kb.Fact{Kind: "sec", Name: def.Prefix, Source: "libbpf",
				Details: []string{"program type: " + def.ProgType, "attach kind: " + def.Attach, "target form: " + def.Target, "target given: " + target}})
		} else {
			out.Nearest = kb.Nearest(kb.SECNames(), q, 5)
		}
		return nil, out, nil
	case "bpftrace":
		if d := bpftraceDescribe(q); d != "" {
			out.Facts = append(out.Facts, kb.Fact{Kind: "bpftrace", Name: q, Source: "builtin", Details: []string{d}})
		} else {
			out.Nearest = bpftraceNearest(q)
		}
		return nil, out, nil
	}
	want, ok := kindsOf[in.Kind]
	if !ok {
		return nil, out, fmt.Errorf("unknown kind %q: use helper, kfunc, function, tracepoint, struct, sec, bpftrace or any", in.Kind)
	}
	r := t.k.Lookup(q)
	for _, f := range r.Facts {
		if want == nil || contains(want, f.Kind) {
			out.Facts = append(out.Facts, f)
		}
	}
	if len(out.Facts) > maxResults {
		out.Facts = out.Facts[:maxResults]
	}
	if len(out.Facts) == 0 {
		fam := map[string]string{"helper": kb.FamilyHelper, "kfunc": kb.FamilyKfunc, "function": kb.FamilyFunc, "tracepoint": kb.FamilyTracepoint, "struct": kb.FamilyType}[in.Kind]
		if fam != "" {
			out.Nearest = t.k.Nearest(fam, strings.ReplaceAll(q, "/", ":"), 5)
		} else {
			out.Nearest = r.Nearest
		}
	}
	return nil, out, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// SearchInput is the input of search_examples.
type SearchInput struct {
	Query    string `json:"query" jsonschema:"what the program should do, in words"`
	Language string `json:"language,omitempty" jsonschema:"bpftrace, c, or empty for both"`
	Limit    int    `json:"limit,omitempty" jsonschema:"how many results (default 3, at most 20)"`
}

// ExampleOut is one example in search results.
type ExampleOut struct {
	Slug        string   `json:"slug"`
	Language    string   `json:"language"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Probes      []string `json:"probes"`
	Score       float64  `json:"score"`
	Source      string   `json:"source"`
}

// SearchOutput is the output of search_examples.
type SearchOutput struct {
	Examples []ExampleOut `json:"examples"`
}

func (t *tools) search(_ context.Context, _ *mcp.CallToolRequest, in SearchInput) (*mcp.CallToolResult, SearchOutput, error) {
	var out SearchOutput
	if strings.TrimSpace(in.Query) == "" {
		return nil, out, errors.New("query is empty")
	}
	lang := ""
	if in.Language != "" {
		d, err := dialectOf(in.Language)
		if err != nil {
			return nil, out, err
		}
		lang = string(d)
	}
	n := in.Limit
	if n <= 0 {
		n = 3
	}
	n = min(n, maxResults)
	all, err := examples.Load()
	if err != nil {
		return nil, out, err
	}
	out.Examples = []ExampleOut{}
	for _, s := range examples.Search(all, in.Query, lang, n) {
		e := s.Example
		out.Examples = append(out.Examples, ExampleOut{Slug: e.Slug, Language: e.Dialect, Title: e.Title, Description: e.Description, Probes: e.Probes, Score: s.Score, Source: e.Source})
	}
	return nil, out, nil
}

// GenerateInput is the input of generate_program.
type GenerateInput struct {
	Request  string `json:"request" jsonschema:"what the program should do, in words (any language)"`
	Language string `json:"language,omitempty" jsonschema:"bpftrace or c; empty lets kgent choose"`
}

// GenerateOutput is the output of generate_program.
type GenerateOutput struct {
	Program     string                  `json:"program"`
	Language    string                  `json:"language"`
	Provider    string                  `json:"provider"`
	Example     string                  `json:"example,omitempty"`
	Explanation string                  `json:"explanation"`
	Notes       []string                `json:"notes"`
	Diagnostics []report.JSONDiagnostic `json:"diagnostics"`
}

func (t *tools) generate(_ context.Context, _ *mcp.CallToolRequest, in GenerateInput) (*mcp.CallToolResult, GenerateOutput, error) {
	var out GenerateOutput
	var d analysis.Dialect
	if in.Language != "" {
		var err error
		if d, err = dialectOf(in.Language); err != nil {
			return nil, out, err
		}
	}
	r, err := agent.Offline(t.k, agent.Request{Text: in.Request, Lang: d})
	if err != nil {
		return nil, out, err
	}
	name := "program.bt"
	if r.Lang == analysis.DialectC {
		name = "program.bpf.c"
	}
	out = GenerateOutput{Program: r.Program, Language: string(r.Lang), Provider: r.Provider, Example: r.Example,
		Explanation: r.Explanation, Notes: r.Notes, Diagnostics: report.Diagnostics(name, r.Program, r.Findings)}
	return nil, out, nil
}
