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
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/bpfc"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/analysis/verify/microvm"
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
	// targets are the kernels checked against (the primary kb alone when
	// none is configured); verifiers are theirs, made when first needed;
	// profiles keeps the named profiles opened, so reconfiguring does not
	// reopen them.
	targets   []Target
	verifiers map[string]*verify.Verifier
	// profMu guards profiles (held while one opens or builds).
	profMu   sync.Mutex
	profiles map[string]*kb.KB
	// bt is the bpftrace release checked against, and where it came from.
	bt, btFrom string
	// probs are the targets the last Reconfigure could not open.
	probs []Problem
	// vms boots the kernels of image profiles for their own verifiers,
	// made when a target first needs one; Close stops them.
	vms *microvm.Pool
	// closed: Close ran; no pool is made again (a boot that started
	// after it would leave a VM nobody stops).
	closed bool
}

// Close stops the microVMs the pipeline booted (a front calls it when
// it ends; idle ones stop on their own after a while).
func (p *Pipeline) Close() {
	p.mu.Lock()
	vms := p.vms
	p.vms, p.closed = nil, true
	p.mu.Unlock()
	if vms != nil {
		vms.Close()
	}
}

// New makes a Pipeline for cfg and k (k may be nil until a kb is loaded:
// Analyze then checks without kernel facts, and Check cannot verify).
// Targets that could not be opened are left out: Reconfigure says which.
func New(cfg Config, k *kb.KB) *Pipeline {
	p := &Pipeline{}
	p.Reconfigure(cfg, k)
	return p
}

// ErrNoKB: the kb is not loaded (yet, or it failed).
var ErrNoKB = errors.New("the kernel knowledge base is not loaded")

// Reconfigure replaces the configuration and the kb, and opens the
// configured targets; the verifiers are rebuilt (their caches are keyed
// by both), the bpftrace release detected again. The old kb is no longer
// referenced by the pipeline. The problems are targets that could not be
// opened (left out).
func (p *Pipeline) Reconfigure(cfg Config, k *kb.KB) []Problem {
	bt, from := bpftraceRelease(cfg)
	ts, probs := openTargets(cfg.Targets, k, p.openProfile)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg, p.k, p.targets, p.bt, p.btFrom, p.probs = cfg, k, ts, bt, from, probs
	p.v, p.verifiers = nil, map[string]*verify.Verifier{}
	if k != nil {
		p.v = p.newVerifier(k)
	}
	return probs
}

// newVerifier is a verifier of k; a kb built from a kernel image is
// verified by that kernel's own verifier in a microVM. Called with mu
// held.
func (p *Pipeline) newVerifier(k *kb.KB) *verify.Verifier {
	c := p.cfg
	o := verify.Options{KB: k, ClangPath: c.ClangPath, BpftracePath: c.BpftracePath, IncludePaths: c.IncludePaths, Verbose: c.Verbose}
	if k.Image() != "" && !p.closed {
		if p.vms == nil {
			p.vms = microvm.NewPool(microvm.Options{})
		}
		o.VMs = p.vms
	}
	return verify.New(o)
}

// BootVMs boots the microVM of every target whose own verifier runs in
// one (a profile built from a kernel image that is still there), all at
// once, and returns when each is ready or failed: a front calls it in the
// background when targets are configured, so the first verification does
// not wait for the boots. progress hears each target's boot begin and end;
// a failed boot is tried once more, and a second failure is reported
// (the verification that needs the VM tries again and reports why). The VMs are the ones Check uses (one pool per pipeline);
// a VM already running is not booted again. It returns how many targets
// have a VM.
func (p *Pipeline) BootVMs(ctx context.Context, progress func(target, msg string)) int {
	var wg sync.WaitGroup
	n := 0
	for _, t := range p.Targets() {
		img := ""
		if t.KB != nil {
			img = t.KB.Image()
		}
		if img == "" {
			continue
		}
		if _, err := os.Stat(img); err != nil {
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			break
		}
		if p.vms == nil {
			p.vms = microvm.NewPool(microvm.Options{})
		}
		pool := p.vms
		p.mu.Unlock()
		n++
		wg.Add(1)
		go func() {
			defer wg.Done()
			if progress != nil {
				progress(t.Name, "booting "+t.Label()+" in a microVM")
			}
			mt := microvm.Target{Image: img, Config: t.KB.ConfigLines()}
			vm, err := pool.VM(ctx, mt)
			if err != nil && ctx.Err() == nil {
				// As for a request: a boot that failed (a guest that
				// panicked under a loaded TCG) is tried once more.
				if progress != nil {
					progress(t.Name, t.Name+": boot failed, booting again: "+err.Error())
				}
				vm, err = pool.VM(ctx, mt)
			}
			if progress == nil {
				return
			}
			if err != nil {
				progress(t.Name, t.Name+": boot failed: "+err.Error())
				return
			}
			progress(t.Name, fmt.Sprintf("%s ready (%s, booted in %.1f s)", t.Name, vm.Accel(), vm.BootTime.Seconds()))
		}()
	}
	wg.Wait()
	return n
}

// openProfile opens a named profile once per pipeline (building it from
// a cached kernel image the first time when there is none).
func (p *Pipeline) openProfile(name string) (*kb.KB, error) {
	p.profMu.Lock()
	defer p.profMu.Unlock()
	if k := p.profiles[name]; k != nil {
		return k, nil
	}
	k, err := OpenTarget(name, nil, nil)
	if err != nil {
		return nil, err
	}
	if p.profiles == nil {
		p.profiles = map[string]*kb.KB{}
	}
	p.profiles[name] = k
	return k, nil
}

// Target opens one target by name ("host" or a profile), as the
// configuration's are opened (profiles once per pipeline).
func (p *Pipeline) Target(name string) (Target, error) {
	ts, probs := openTargets([]string{name}, p.KB(), p.openProfile)
	if len(probs) > 0 {
		return Target{}, TargetsError(probs)
	}
	return ts[0], nil
}

// Problems are the targets the last configuration named that could not
// be opened (they are left out).
func (p *Pipeline) Problems() []Problem {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.probs)
}

// Targets are the kernels programs are checked against: the configured
// ones that opened, else the primary kb alone (named "host").
func (p *Pipeline) Targets() []Target {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.targets)
}

// targetVerifier is the verifier of a target, made once.
func (p *Pipeline) targetVerifier(t Target, untrusted bool) *verify.Verifier {
	p.mu.Lock()
	v := p.v
	if t.KB != p.k {
		if v = p.verifiers[t.Name]; v == nil {
			v = p.newVerifier(t.KB)
			p.verifiers[t.Name] = v
		}
	}
	p.mu.Unlock()
	if v != nil && untrusted {
		return v.Untrusted()
	}
	return v
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
		return kb.BpftraceMajorMinor(c.BpftraceVersion), "bpftraceVersion (" + c.Origin["bpftraceVersion"] + ")"
	}
	bin := c.BpftracePath
	if bin == "" {
		bin = "bpftrace"
	}
	if v, err := kb.BpftraceBinaryVersion(bin); err == nil {
		return v, "the version of " + bin
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
	// Targets are the kernels it was checked against.
	Targets []Target

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
	// Targets, when set, are the kernels to check against instead of the
	// configured ones ("host" and profile names).
	Targets []string
}

// Analyze runs the static checks on one document version, against every
// target (merged: one finding per problem, naming the kernels it applies
// to); without a kb (a failed load) only the checks that need no kernel
// facts run. The error is ctx's when it ended, or a TargetsError for
// targets the document asked for that do not open; anything else about the document is
// in the snapshot (NotChecked). A panic in a check is an internal error
// of kgent, reported as NotChecked with the panic, never a crash.
func (p *Pipeline) Analyze(ctx context.Context, doc Document) (snap *Snapshot, err error) {
	p.mu.Lock()
	k, cfg, bt, ts := p.k, p.cfg, p.bt, p.targets
	var probs []Problem
	p.mu.Unlock()
	if len(doc.Targets) > 0 {
		ts, probs = openTargets(doc.Targets, k, p.openProfile)
	}
	if len(probs) > 0 {
		return nil, TargetsError(probs)
	}
	if len(ts) == 0 {
		ts = []Target{{Name: Host, KB: k}}
	}
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
	per := make([][]analysis.Finding, len(ts))
	for i, t := range ts {
		opts := check.Options{KB: t.KB, Dialect: d, BpftraceVersion: bt, IncludePaths: cfg.IncludePaths}
		for _, o := range ts {
			if o.Name != t.Name && o.KB != nil {
				opts.Others = append(opts.Others, kb.NamedKB{Name: o.Name, KB: o.KB})
			}
		}
		if doc.Parsed != nil {
			per[i], err = doc.Parsed.FindingsContext(ctx, opts)
		} else {
			per[i], err = check.FileContext(ctx, doc.Path, doc.Text, opts)
		}
		if err != nil {
			break
		}
	}
	if doc.Parsed != nil && err == nil {
		if sum, ok := doc.Parsed.CSummary(); ok {
			snap.Summary = &sum
		}
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, err
		}
		snap.NotChecked = err
		return snap, nil
	}
	snap.Static = analysis.Sort(matrix(ts, per))
	snap.Targets = ts
	return snap, nil
}

// TargetsError: targets a document asked for that could not be opened.
type TargetsError []Problem

func (e TargetsError) Error() string {
	msgs := make([]string, len(e))
	for i, p := range e {
		msgs[i] = p.Key + ": " + p.Reason
	}
	return "cannot check against " + strings.Join(msgs, "; ")
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
	ts := snap.Targets
	if len(ts) == 0 {
		ts = []Target{{Name: Host, KB: p.KB()}}
	}
	job := opts.Job
	if job == "" {
		job = fmt.Sprintf("pipeline-%d", jobSeq.Add(1))
	}
	v := Verification{Requested: true, Ran: true}
	per := make([][]analysis.Finding, len(ts))
	var why, logs []string
	for i, t := range ts {
		vf := (*verify.Verifier)(nil)
		if t.KB != nil {
			vf = p.targetVerifier(t, opts.Untrusted)
		}
		if vf == nil {
			r.Verification.Unavailable = ErrNoKB
			return r
		}
		vr := vf.VerifyJob(ctx, job+"\x00"+t.Name, snap.Path, snap.Text, snap.Dialect)
		v.Duration += vr.Duration
		v.Cached = v.Cached || vr.Cached
		if vr.Cancelled {
			r.Verification = Verification{Requested: true, Cancelled: true, Unavailable: errors.New(vr.Unavailable), Duration: v.Duration, Findings: vr.Findings}
			return r
		}
		if vr.Unavailable != "" {
			v.Ran = false
			w := vr.Unavailable
			if len(ts) > 1 {
				w = t.Name + ": " + w
			}
			why = append(why, w)
		}
		if vr.Log != "" {
			l := vr.Log
			if len(ts) > 1 {
				l = "== " + t.Label() + "\n" + l
			}
			logs = append(logs, l)
		}
		per[i] = vr.Findings
	}
	if len(why) > 0 {
		v.Unavailable = errors.New(strings.Join(why, "; "))
	}
	if v.Ran {
		v.What = whatRan(snap.Dialect)
	}
	v.Log = strings.Join(logs, "\n")
	v.Findings = matrix(ts, per)
	r.Verification = v
	r.Findings = verify.Merge(snap.Static, v.Findings)
	return r
}

func whatRan(d analysis.Dialect) string {
	if d == analysis.DialectC {
		return "compiled with clang -O2 -g -target bpf and loaded through the kernel verifier (not attached)"
	}
	return "bpftrace's semantic analysis and code generation (bpftrace --emit-elf or --mode codegen; not attached)"
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
	return KernelNote(p.KB())
}

// KernelNote names k's kernel and where its facts came from.
func KernelNote(k *kb.KB) string {
	if k == nil {
		return "no kb loaded"
	}
	return check.KernelNote(k)
}
