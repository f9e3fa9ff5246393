// Package pipeline is the one way every front (kgent check, the language
// server, the MCP server and the agent) turns a program into findings:
// one resolved configuration (Config: command line > environment >
// editor settings), one kb, one verifier, and one call, Check, from an
// immutable snapshot of a document version to its merged, ordered
// findings and what verification did. What the CLI prints, what the
// editor shows and what an agent reads are the same list because they
// come from the same call with the same settings.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/bpfc"
	"github.com/kgent/kgent/analysis/bpftrace"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/kb"
)

// Pipeline holds what checking needs: the configuration, the kb and the
// verifiers built from both. It is safe for concurrent use; Reconfigure
// swaps all three at once.
type Pipeline struct {
	mu  sync.Mutex
	cfg Config
	k   *kb.KB
	v   *verify.Verifier
	// bt is the bpftrace release checked against, and where it came from.
	bt, btFrom string
}

// New makes a Pipeline for cfg and k (k may be nil until a kb is loaded:
// Analyze then checks without kernel facts, and Check cannot verify).
func New(cfg Config, k *kb.KB) *Pipeline {
	p := &Pipeline{}
	p.Reconfigure(cfg, k)
	return p
}

// ErrNoKB: the kb is not loaded (yet, or it failed).
var ErrNoKB = errors.New("the kernel knowledge base is not loaded")

// Reconfigure replaces the configuration and the kb; the verifier is
// rebuilt (its cache is keyed by both), the bpftrace release detected
// again. The old kb is no longer referenced by the pipeline.
func (p *Pipeline) Reconfigure(cfg Config, k *kb.KB) {
	bt, from := bpftraceRelease(cfg)
	var v *verify.Verifier
	if k != nil {
		v = verify.New(verify.Options{KB: k, ClangPath: cfg.ClangPath, BpftracePath: cfg.BpftracePath, IncludePaths: cfg.IncludePaths, Verbose: cfg.Verbose})
	}
	p.mu.Lock()
	p.cfg, p.k, p.v, p.bt, p.btFrom = cfg, k, v, bt, from
	p.mu.Unlock()
}

// Config is the configuration in use.
func (p *Pipeline) Config() Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg
}

// KB is the kb in use (nil before one is loaded).
func (p *Pipeline) KB() *kb.KB {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.k
}

// Verifier is the verifier for sources kgent's user wrote (untrusted
// false) or for sources from elsewhere (verify.Options.Untrusted); nil
// before a kb is loaded.
func (p *Pipeline) Verifier(untrusted bool) *verify.Verifier {
	p.mu.Lock()
	v := p.v
	p.mu.Unlock()
	if v != nil && untrusted {
		return v.Untrusted()
	}
	return v
}

// BpftraceRelease is the bpftrace release scripts are checked against
// ("0.23"; "" is the newest kgent knows) and where that came from.
func (p *Pipeline) BpftraceRelease() (version, from string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bt, p.btFrom
}

// bpftraceRelease: the configured version, else the configured (or
// installed) binary's, else the newest kgent knows.
func bpftraceRelease(c Config) (string, string) {
	if c.BpftraceVersion != "" {
		return bpftrace.MajorMinor(c.BpftraceVersion), "bpftraceVersion (" + c.Origin["bpftraceVersion"] + ")"
	}
	bin := c.BpftracePath
	if bin == "" {
		bin = "bpftrace"
	}
	if v, err := kb.ToolVersion(bin); err == nil {
		return bpftrace.MajorMinor(v), "the version of " + bin
	}
	return "", "no bpftrace found (" + bin + "): the newest release kgent knows"
}

// Snapshot is one version of a document and its static analysis,
// computed once. It never changes after Analyze returns it: every
// feature of a front reads the same snapshot.
type Snapshot struct {
	Path    string
	Version int32
	Text    string
	Dialect analysis.Dialect
	// Static are the static findings, ordered (analysis.Sort).
	Static []analysis.Finding
	// NotChecked says why the document was not checked at all (binary,
	// too large, not eBPF C or bpftrace): no findings then.
	NotChecked error
	// Summary is a C program's programs and maps.
	Summary *bpfc.Summary

	linesOnce sync.Once
	lines     *analysis.LineIndex
}

// Lines is the snapshot's line index, built once.
func (s *Snapshot) Lines() *analysis.LineIndex {
	s.linesOnce.Do(func() { s.lines = analysis.NewLineIndex(s.Text) })
	return s.lines
}

// Document is what Analyze reads: a document version, and optionally
// the front's incremental parse of exactly that text (the language
// server keeps one per open document).
type Document struct {
	Path    string
	Version int32
	Text    string
	// Dialect overrides detection from the path and text.
	Dialect analysis.Dialect
	// Parsed, when set, holds Text already (check.Document): its
	// incremental C parse is reused.
	Parsed *check.Document
	// Lines, when set, is Text's line index already built.
	Lines *analysis.LineIndex
}

// Analyze runs the static checks on one document version; without a kb
// (a failed load) only the checks that need no kernel facts run. The
// error is ctx's when it ended; anything else about the document is
// in the snapshot (NotChecked). A panic in a check is an internal error
// of kgent, reported as NotChecked with the panic, never a crash.
func (p *Pipeline) Analyze(ctx context.Context, doc Document) (snap *Snapshot, err error) {
	p.mu.Lock()
	k, cfg, bt := p.k, p.cfg, p.bt
	p.mu.Unlock()
	d := doc.Dialect
	if doc.Parsed != nil {
		d = doc.Parsed.Dialect
	}
	if d == analysis.DialectNone {
		d = analysis.Detect(doc.Path, doc.Text)
	}
	snap = &Snapshot{Path: doc.Path, Version: doc.Version, Text: doc.Text, Dialect: d}
	if doc.Lines != nil {
		snap.linesOnce.Do(func() { snap.lines = doc.Lines })
	}
	defer func() {
		if r := recover(); r != nil {
			snap.Static, snap.Summary = nil, nil
			snap.NotChecked = &InternalError{What: "checking " + doc.Path, Panic: r}
			err = nil
		}
	}()
	opts := check.Options{KB: k, Dialect: d, BpftraceVersion: bt, IncludePaths: cfg.IncludePaths}
	var fs []analysis.Finding
	if doc.Parsed != nil {
		fs, err = doc.Parsed.FindingsContext(ctx, opts)
		if sum, ok := doc.Parsed.CSummary(); ok && err == nil {
			snap.Summary = &sum
		}
	} else {
		fs, err = check.FileContext(ctx, doc.Path, doc.Text, opts)
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, err
		}
		snap.NotChecked = err
		return snap, nil
	}
	snap.Static = analysis.Sort(fs)
	return snap, nil
}

// InternalError is a bug in kgent met while checking: not a finding
// about the program.
type InternalError struct {
	What  string
	Panic any
}

func (e *InternalError) Error() string {
	return fmt.Sprintf("internal error %s (this is a bug in kgent): %v", e.What, e.Panic)
}

// Options of one Check.
type Options struct {
	// Verify compiles and loads the program through the verifier (or
	// runs bpftrace's own semantic pass); never attaches.
	Verify bool
	// Untrusted: the source comes from someone other than kgent's user
	// (an MCP client, a file outside the editor's workspace, a model's
	// output): see verify.Options.Untrusted.
	Untrusted bool
	// Job names the caller's verification: a newer Check with the same
	// Job cancels an older one still running (an editor's document, by
	// its URI). "" is a job of its own that nothing cancels but ctx.
	Job string
}

// Verification is what verification did.
type Verification struct {
	Requested bool
	// Ran is true when verification ran in full on this program.
	Ran bool
	// What ran, in words (for a front to show).
	What string
	// Unavailable says why verification did not run, or ran only in
	// part; nil when it ran in full or was not requested.
	Unavailable error
	// Cancelled: a newer job of the same name (or ctx) stopped it; its
	// findings must not replace earlier ones.
	Cancelled bool
	Cached    bool
	Duration  time.Duration
	// Log is the compiler's, verifier's or bpftrace's whole output.
	Log string
	// Findings are verification's own findings (KG6xx), before merging.
	Findings []analysis.Finding
}

// Result of a Check.
type Result struct {
	Snapshot *Snapshot
	// Findings are the static findings merged with verification's
	// (verify.Merge: one problem, one finding), in analysis.Sort order.
	Findings     []analysis.Finding
	Verification Verification
}

// ErrSyntax: verification was not run because the static checks found
// syntax errors (the compiler would only repeat them).
var ErrSyntax = errors.New("not verified: fix the syntax errors first")

var jobSeq atomic.Int64

// Check verifies snap when opts.Verify asks for it, and merges. Static
// findings come from the snapshot: Check never re-runs them.
func (p *Pipeline) Check(ctx context.Context, snap *Snapshot, opts Options) Result {
	r := Result{Snapshot: snap, Findings: snap.Static}
	r.Verification.Requested = opts.Verify
	if !opts.Verify {
		return r
	}
	switch {
	case snap.NotChecked != nil:
		r.Verification.Unavailable = fmt.Errorf("not verified: %w", snap.NotChecked)
		return r
	case hasSyntaxErrors(snap.Static):
		r.Verification.Unavailable = ErrSyntax
		return r
	}
	v := p.Verifier(opts.Untrusted)
	if v == nil {
		r.Verification.Unavailable = ErrNoKB
		return r
	}
	job := opts.Job
	if job == "" {
		job = fmt.Sprintf("pipeline-%d", jobSeq.Add(1))
	}
	vr := v.VerifyJob(ctx, job, snap.Path, snap.Text, snap.Dialect)
	r.Verification = Verification{Requested: true, Ran: vr.Unavailable == "" && !vr.Cancelled, Cancelled: vr.Cancelled,
		Cached: vr.Cached, Duration: vr.Duration, Log: vr.Log, Findings: vr.Findings}
	if vr.Unavailable != "" {
		r.Verification.Unavailable = errors.New(vr.Unavailable)
	}
	if r.Verification.Ran {
		r.Verification.What = whatRan(snap.Dialect)
	}
	if vr.Cancelled {
		return r
	}
	r.Findings = analysis.Sort(verify.Merge(snap.Static, vr.Findings))
	return r
}

func whatRan(d analysis.Dialect) string {
	if d == analysis.DialectC {
		return "compiled with clang -O2 -g -target bpf and loaded through the kernel verifier (not attached)"
	}
	return "bpftrace's semantic analysis and code generation (bpftrace --emit-elf; not attached)"
}

var syntaxCode = regexp.MustCompile(`^KG1\d\d$`)

func hasSyntaxErrors(fs []analysis.Finding) bool {
	for _, f := range fs {
		if f.Severity == analysis.Error && syntaxCode.MatchString(f.Code) {
			return true
		}
	}
	return false
}

// CheckText is Analyze and Check of one text in one call, for fronts
// without an open document (kgent check, MCP, the agent).
func (p *Pipeline) CheckText(ctx context.Context, doc Document, opts Options) (Result, error) {
	snap, err := p.Analyze(ctx, doc)
	if err != nil {
		return Result{}, err
	}
	return p.Check(ctx, snap, opts), nil
}

// KernelNote names the kernel checked against and where its facts came
// from, for a front's summary line.
func (p *Pipeline) KernelNote() string {
	k := p.KB()
	if k == nil {
		return "no kb loaded"
	}
	return check.KernelNote(k)
}
