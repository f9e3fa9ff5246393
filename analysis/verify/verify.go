package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/verify/microvm"
	"github.com/kgent/kgent/kb"
)

// Options configure a Verifier. The zero value works: tools come from
// PATH, vmlinux.h is generated from the host's BTF into the kb cache.
type Options struct {
	// KB is the target kernel's knowledge base. Its BTF (BTFPath) makes
	// vmlinux.h; a kb of another machine's kernel (Source "btf-file")
	// limits verification to compiling, as this machine's verifier is
	// not that kernel's.
	KB           *kb.KB
	ClangPath    string // default: clang from PATH
	BpftoolPath  string // default: bpftool from PATH
	BpftracePath string // default: bpftrace from PATH
	// IncludePaths are added to clang's include path after vmlinux.h's
	// directory and the file's own directory.
	IncludePaths []string
	// BTFPath is the BTF vmlinux.h is generated from when KB gives none;
	// default /sys/kernel/btf/vmlinux.
	BTFPath string
	// CacheDir holds generated vmlinux.h files, one directory per BTF
	// sha256; default: the kb cache dir (kb.CacheDir()).
	CacheDir string
	// Timeout bounds each external process; default 60 s.
	Timeout time.Duration
	// Verbose keeps the verifier's statistics of accepted programs in
	// Result.Log too (instructions processed, stack depth), for -v.
	Verbose bool
	// MemoryLimit bounds the address space of each tool (clang, bpftrace,
	// bpftool) in bytes; 0 is DefaultMemoryLimit (2 GiB), negative is no
	// limit. A tool that reaches it yields a KG601 (clang) or KG603
	// (bpftrace) error saying so.
	MemoryLimit int64
	// Untrusted is for sources kgent's user did not write or open
	// themselves (MCP clients; files outside the editor's workspace):
	// clang runs as nobody (when kgent is root) in a private directory
	// holding the program and the world-readable headers it includes
	// from its own directory, so it reads only what any user may; only
	// loading uses kgent's privilege. bpftrace, which must run as root,
	// is not run on scripts that #include anything but system headers by
	// a plain relative name. Findings, notes and Log keep only what
	// concerns the program's own file: diagnostics in other files are
	// reduced to "an included file has errors" on the #include line.
	Untrusted bool
	// Gate bounds how many verifications run at once; nil is the
	// process-wide gate (DefaultParallel: half the CPUs, at least one)
	// that every Verifier without its own shares.
	Gate *Gate
	// VMs verifies in microVMs (package microvm): a kb built from a
	// kernel image (a named profile) is verified by that kernel's own
	// verifier, booted once in the pool and reused; without root, the
	// host kernel too when its image is readable. nil: a kb of another
	// kernel is only compiled, as before.
	VMs *microvm.Pool
}

// Result of one verification.
type Result struct {
	// Findings on the document's lines: KG601 (clang), KG602 (verifier),
	// KG603 (bpftrace), or one KG604 when verification could not run.
	Findings []analysis.Finding
	// Log is the full output: clang's diagnostics, then every rejected
	// program's complete verifier log, or bpftrace's output. For -v.
	Log      string
	Duration time.Duration
	// Cached is true when the result came from the cache (same text,
	// dialect, directory, options and target kernel).
	Cached bool
	// Cancelled is true when a newer request for the same job (or ctx)
	// cancelled this one; Findings then hold only a KG604 saying so and
	// should not replace earlier results.
	Cancelled bool
	// Unavailable says why verification did not run, or ran only in part
	// (the message of its KG604 findings); "" when it ran in full.
	Unavailable string
}

// Verifier runs verification jobs: one per path at a time (a newer
// request cancels the older one), results cached by content hash, target
// kernel and options. It is safe for concurrent use.
type Verifier struct {
	opts Options

	// mu guards running and the cache (entries and their LRU order).
	mu      sync.Mutex
	running map[string]*job
	cache   map[string]Result
	order   []string

	// vmMu serialises vmlinux.h generation.
	vmMu sync.Mutex
	// pchMu serialises precompiling vmlinux.h and guards pchFailed, the
	// headers clang could not precompile (not retried).
	pchMu     sync.Mutex
	pchFailed map[string]bool
	// btfSums caches the sha256 of BTF files by path, size and mtime.
	btfSums sync.Map
	// started, when set (tests), is told the pid of every tool started.
	started func(pid int)
	// untrusted is the sibling Untrusted returns, made once.
	untrustedOnce sync.Once
	untrusted     *Verifier
}

type job struct{ cancel context.CancelFunc }

// New makes a Verifier.
func New(opts Options) *Verifier {
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.CacheDir == "" {
		opts.CacheDir = kb.CacheDir()
	}
	if opts.Gate == nil {
		opts.Gate = defaultGate
	}
	return &Verifier{opts: opts, running: map[string]*job{}, cache: map[string]Result{}, pchFailed: map[string]bool{}}
}

const cacheSize = 64

// Untrusted returns a Verifier with v's options and Untrusted set (v
// itself when it is set already), made once, sharing v's gate: for a
// server that verifies its user's files and files from elsewhere.
func (v *Verifier) Untrusted() *Verifier {
	if v.opts.Untrusted {
		return v
	}
	v.untrustedOnce.Do(func() {
		o := v.opts
		o.Untrusted = true
		v.untrusted = New(o)
	})
	return v.untrusted
}

// Verify verifies text, the document at path (possibly unsaved: the file
// on disk is never read, only its directory is used for includes), in
// dialect d. A newer Verify for the same path cancels this one, which
// then returns a Cancelled result. Verify never fails: what keeps
// verification from running is a KG604 information finding.
func (v *Verifier) Verify(ctx context.Context, path, text string, d analysis.Dialect) Result {
	return v.VerifyJob(ctx, path, path, text, d)
}

// VerifyJob is Verify with the job named apart from the path: a newer
// request with the same job cancels this one (independent callers that
// verify under one name pass distinct jobs). It waits for a turn at the
// Gate unless the result is cached.
func (v *Verifier) VerifyJob(ctx context.Context, jobName, path, text string, d analysis.Dialect) (r Result) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			f := analysis.New(analysis.KG604, analysis.Span{}, fmt.Sprintf("verification unavailable: internal error (this is a bug): %v", p))
			r = Result{Findings: []analysis.Finding{f}, Duration: time.Since(start), Unavailable: f.Message}
		}
	}()
	key := v.key(path, text, d)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	me := &job{cancel: cancel}
	v.mu.Lock()
	if prev := v.running[jobName]; prev != nil {
		prev.cancel()
	}
	v.running[jobName] = me
	cached, hit := v.cache[key]
	v.mu.Unlock()
	defer func() {
		v.mu.Lock()
		if v.running[jobName] == me {
			delete(v.running, jobName)
		}
		v.mu.Unlock()
	}()
	if hit {
		cached.Findings = slices.Clone(cached.Findings)
		cached.Cached = true
		cached.Duration = time.Since(start)
		return cached
	}
	release, err := v.opts.Gate.acquire(ctx)
	if err != nil {
		return Result{Findings: []analysis.Finding{unavailable("verification was cancelled by a newer request")}, Duration: time.Since(start), Cancelled: true, Unavailable: "verification was cancelled by a newer request"}
	}
	defer release()

	switch d {
	case analysis.DialectC:
		r = v.verifyC(ctx, path, text)
	case analysis.DialectBpftrace:
		r = v.verifyBpftrace(ctx, path, text)
	default:
		r.Findings = []analysis.Finding{unavailable("no verifier for this kind of file (only eBPF C and bpftrace)")}
	}
	r.Duration = time.Since(start)
	r.Unavailable = unavailableReason(r.Findings)
	for i := range r.Findings {
		r.Findings[i] = specific(r.Findings[i])
	}
	if ctx.Err() != nil {
		return Result{Findings: []analysis.Finding{unavailable("verification was cancelled by a newer request")}, Duration: r.Duration, Cancelled: true, Log: r.Log, Unavailable: "verification was cancelled by a newer request"}
	}
	v.mu.Lock()
	if _, ok := v.cache[key]; !ok {
		v.order = append(v.order, key)
	}
	v.cache[key] = r
	if len(v.order) > cacheSize {
		delete(v.cache, v.order[0])
		v.order = v.order[1:]
	}
	v.mu.Unlock()
	r.Findings = slices.Clone(r.Findings)
	return r
}

// key identifies a result: the text, the file's name (findings and notes
// name it; a name clang would read as an option is compiled as a file),
// what decides how it compiles (the file's directory, include paths,
// tools, trust, memory limit) and the target kernel.
func (v *Verifier) key(path, text string, d analysis.Dialect) string {
	h := sha256.New()
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%v\x00%v\x00%d\x00%s\x00", d, dir, strings.Join(v.opts.IncludePaths, "\x01"),
		v.opts.ClangPath, v.opts.BpftoolPath, v.opts.BpftracePath, v.opts.BTFPath, v.opts.Verbose, v.opts.Untrusted, v.memoryLimit(),
		filepath.Base(path))
	if v.opts.KB != nil {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", v.opts.KB.Meta.Kernel, v.opts.KB.Meta.Source, v.opts.KB.Meta.BTFSHA256)
	}
	if t, ok := v.vmTarget(); ok {
		fmt.Fprintf(h, "vm\x00%s\x00", t.Image)
	}
	h.Write([]byte(text))
	return hex.EncodeToString(h.Sum(nil))
}

// unavailableReason joins the messages of the KG604 findings, the ones
// verification itself makes when it cannot run in full.
func unavailableReason(fs []analysis.Finding) string {
	var why []string
	for _, f := range fs {
		if f.Code == analysis.KG604 {
			why = append(why, strings.TrimPrefix(f.Message, "verification unavailable: "))
		}
	}
	return strings.Join(why, "; ")
}

// unavailable is the one finding that says verification could not run
// and why: an information finding, never an error.
func unavailable(why string) analysis.Finding {
	f := analysis.New(analysis.KG604, analysis.Span{}, "verification unavailable: "+why)
	f.Severity = analysis.Information
	return f
}

func lookTool(configured, name string) (string, error) {
	if configured != "" {
		if strings.ContainsRune(configured, '/') {
			if _, err := os.Stat(configured); err != nil {
				return "", err
			}
			return configured, nil
		}
		return exec.LookPath(configured)
	}
	return exec.LookPath(name)
}

// toolMessage fits a tool's message to kgent's style: lowercase start
// (acronyms such as "BPF" kept), no final period.
func toolMessage(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, ".")
	if len(s) >= 2 && s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z') {
		s = string(s[0]+'a'-'A') + s[1:]
	}
	return s
}
