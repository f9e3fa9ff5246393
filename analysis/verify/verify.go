package verify

import (
	"bytes"
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
	"syscall"
	"time"

	"github.com/kgent/kgent/analysis"
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
	// Cancelled is true when a newer request for the same path (or ctx)
	// cancelled this one; Findings then hold only a KG604 saying so and
	// should not replace earlier results.
	Cancelled bool
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
	// btVersions caches bpftrace versions by path.
	btVersions sync.Map
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
	return &Verifier{opts: opts, running: map[string]*job{}, cache: map[string]Result{}, pchFailed: map[string]bool{}}
}

const cacheSize = 64

// Verify verifies text, the document at path (possibly unsaved: the file
// on disk is never read, only its directory is used for includes), in
// dialect d. A newer Verify for the same path cancels this one, which
// then returns a Cancelled result. Verify never fails: what keeps
// verification from running is a KG604 information finding.
func (v *Verifier) Verify(ctx context.Context, path, text string, d analysis.Dialect) (r Result) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			f := analysis.New(analysis.KG604, analysis.Span{}, fmt.Sprintf("verification unavailable: internal error (this is a bug): %v", p))
			r = Result{Findings: []analysis.Finding{f}, Duration: time.Since(start)}
		}
	}()
	key := v.key(path, text, d)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	me := &job{cancel: cancel}
	v.mu.Lock()
	if prev := v.running[path]; prev != nil {
		prev.cancel()
	}
	v.running[path] = me
	cached, hit := v.cache[key]
	v.mu.Unlock()
	defer func() {
		v.mu.Lock()
		if v.running[path] == me {
			delete(v.running, path)
		}
		v.mu.Unlock()
	}()
	if hit {
		cached.Findings = slices.Clone(cached.Findings)
		cached.Cached = true
		cached.Duration = time.Since(start)
		return cached
	}

	switch d {
	case analysis.DialectC:
		r = v.verifyC(ctx, path, text)
	case analysis.DialectBpftrace:
		r = v.verifyBpftrace(ctx, path, text)
	default:
		r.Findings = []analysis.Finding{unavailable("no verifier for this kind of file (only eBPF C and bpftrace)")}
	}
	r.Duration = time.Since(start)
	if ctx.Err() != nil {
		return Result{Findings: []analysis.Finding{unavailable("verification was cancelled by a newer request")}, Duration: r.Duration, Cancelled: true, Log: r.Log}
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

// key identifies a result: the text, what decides how it compiles (the
// file's directory, include paths, tools) and the target kernel.
func (v *Verifier) key(path, text string, d analysis.Dialect) string {
	h := sha256.New()
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%v\x00", d, dir, strings.Join(v.opts.IncludePaths, "\x01"),
		v.opts.ClangPath, v.opts.BpftoolPath, v.opts.BpftracePath, v.opts.BTFPath, v.opts.Verbose)
	if v.opts.KB != nil {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", v.opts.KB.Meta.Kernel, v.opts.KB.Meta.Source, v.opts.KB.Meta.BTFSHA256)
	}
	if d == analysis.DialectBpftrace {
		// bpftrace names the file in its messages; the name is part of
		// what it reports.
		fmt.Fprintf(h, "%s\x00", filepath.Base(path))
	}
	h.Write([]byte(text))
	return hex.EncodeToString(h.Sum(nil))
}

// unavailable is the one finding that says verification could not run
// and why: an information finding, never an error.
func unavailable(why string) analysis.Finding {
	f := analysis.New(analysis.KG604, analysis.Span{}, "verification unavailable: "+why)
	f.Severity = analysis.Information
	return f
}

// errTimeout says a process ran out of time.
type errTimeout struct {
	tool  string
	limit time.Duration
}

func (e errTimeout) Error() string { return fmt.Sprintf("%s timed out after %v", e.tool, e.limit) }

// run runs a command in dir within the time limit. The command gets its
// own process group, which is killed whole on timeout or cancellation, so
// no child (clang's cc1, bpftrace's helpers) outlives it.
func (v *Verifier) run(ctx context.Context, dir, name string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(ctx, v.opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		err = errTimeout{filepath.Base(name), v.opts.Timeout}
	}
	return out.String(), errb.String(), err
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
