package mcp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/analysis/report"
)

const checkDescription = "Check an eBPF program against the kernel this server targets. language is \"c\" (libbpf-style eBPF C, the *.bpf.c side) " +
	"or \"bpftrace\". Finds invented or misspelled helpers, kfuncs, kernel functions, tracepoints, struct fields and bpftrace builtins, " +
	"helpers the program type may not call, attach kinds the kernel lacks (e.g. kprobes), bad SEC() names, printf format/argument " +
	"mismatches, missing licenses and more. Returns exactly the diagnostics of `kgent check --format json`: a stable code (KGnnn), " +
	"severity, 0-based line and UTF-16 character range, a message naming the nearest real name (\"...; did you mean X\"), notes, and " +
	"fixes as text edits you can apply. With verify=true it also compiles C with clang and loads it through the kernel verifier " +
	"(never attached), or runs bpftrace's own semantic pass, and maps the complaint to a line; this takes up to a few seconds. " +
	"Call it on every program you write or change before showing it to the user, and fix every error it reports."

// CheckInput is the input of check_program.
type CheckInput struct {
	Source   string   `json:"source" jsonschema:"the complete program text"`
	Language string   `json:"language" jsonschema:"c (libbpf eBPF C) or bpftrace"`
	Verify   bool     `json:"verify,omitempty" jsonschema:"also compile and load through the kernel verifier (C) or run bpftrace's semantic pass; nothing is attached"`
	Path     string   `json:"path,omitempty" jsonschema:"optional path of the file on disk: its directory (and below) is searched for local headers; the source itself always comes from source"`
	Targets  []string `json:"targets,omitempty" jsonschema:"kernels to check against: host and named kernel profiles (kernel_info lists them), e.g. [\"host\", \"debian-5.10\"]; each diagnostic then names the kernels it applies to"`
}

// Verification says whether verification ran.
type Verification struct {
	Requested bool `json:"requested"`
	// Ran is true when verification ran in full; false when it was not
	// requested, or could not run or ran only in part (a KG604 diagnostic
	// then says why and what ran, e.g. only compilation for a kb of
	// another machine's kernel).
	Ran        bool   `json:"ran"`
	What       string `json:"what,omitempty"`
	DurationMS int64  `json:"duration_ms,omitempty"`
	// Log is the end of the compiler, verifier or bpftrace output when
	// verification reported errors.
	Log string `json:"log,omitempty"`
}

// CheckOutput is the output of check_program.
type CheckOutput struct {
	Diagnostics  []report.JSONDiagnostic `json:"diagnostics" jsonschema:"the diagnostics of kgent check --format json"`
	Errors       int                     `json:"errors"`
	Warnings     int                     `json:"warnings"`
	Verification Verification            `json:"verification"`
	KB           report.KBInfo           `json:"kb" jsonschema:"the kernel the program was checked against"`
}

func dialectOf(lang string) (analysis.Dialect, error) {
	d := analysis.ParseDialect(lang)
	if d == analysis.DialectNone {
		if strings.TrimSpace(lang) == "" {
			return d, errors.New("language is required: c or bpftrace")
		}
		return d, fmt.Errorf("unknown language %q: use c (libbpf eBPF C) or bpftrace", lang)
	}
	return d, nil
}

// fileName is the name findings and verification use for a program that
// has no path.
func fileName(d analysis.Dialect) string {
	if d == analysis.DialectC {
		return "program.bpf.c"
	}
	return "program.bt"
}

func (t *tools) check(ctx context.Context, _ *mcp.CallToolRequest, in CheckInput) (CheckOutput, error) {
	var out CheckOutput
	d, err := dialectOf(in.Language)
	if err != nil {
		return out, err
	}
	if strings.TrimSpace(in.Source) == "" {
		return out, errors.New("source is empty: pass the complete program text")
	}
	if len(in.Source) > maxSource {
		return out, fmt.Errorf("source is %d bytes, more than the %d this tool checks", len(in.Source), maxSource)
	}
	if !utf8.ValidString(in.Source) {
		return out, errors.New("source is not valid UTF-8")
	}
	name := fileName(d)
	if in.Path != "" {
		name = in.Path
	}
	release, err := acquire(ctx, t.checks)
	if err != nil {
		return out, err
	}
	snap, err := t.p.Analyze(ctx, pipeline.Document{Path: name, Text: in.Source, Dialect: d, Targets: in.Targets})
	release()
	if err != nil {
		return out, err
	}
	if snap.NotChecked != nil {
		return out, snap.NotChecked
	}
	// A client's program is not the user's own: clang runs without root,
	// bpftrace only with system headers, output shows only the program.
	r := t.p.Check(ctx, snap, pipeline.Options{Verify: in.Verify, Untrusted: true})
	if err := ctx.Err(); err != nil {
		return out, err
	}
	v := r.Verification
	if v.Cancelled {
		return out, errors.New("verification was cancelled")
	}
	out.Verification = Verification{Requested: v.Requested, Ran: v.Ran, What: v.What, DurationMS: v.Duration.Round(time.Millisecond).Milliseconds()}
	if analysis.HasErrors(v.Findings) {
		out.Verification.Log = tail(v.Log, 4<<10)
	}
	fs := r.Findings
	out.Diagnostics = report.Diagnostics(name, in.Source, fs)
	for _, f := range fs {
		switch f.Severity {
		case analysis.Error:
			out.Errors++
		case analysis.Warning:
			out.Warnings++
		}
	}
	out.KB = report.KBInfo{Kernel: t.k.Meta.Kernel, Source: t.k.Meta.Source, Reference: t.k.Meta.Reference}
	return out, nil
}

// tail keeps the last n bytes of s, at a line start when it can.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
		s = s[i+1:]
	}
	for len(s) > 0 && !utf8.RuneStart(s[0]) {
		s = s[1:]
	}
	return "...\n" + s
}
