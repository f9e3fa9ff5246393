// Package verify runs what the static checks cannot replace: clang, the
// kernel verifier and the installed bpftrace, and puts their complaints on
// the source lines that caused them. Nothing is ever attached: programs
// are loaded and closed; bpftrace runs with --emit-elf (parse, semantic
// analysis and code generation only).
//
// bpftrace's emitted ELF is not loaded through the verifier: bpftrace 0.17
// writes it without map definitions and with unspecified program types
// (sections s_<probe>_1), so loading it faithfully would mean recreating
// bpftrace's maps and patching every map load, i.e. re-implementing
// bpftrace's loader. bpftrace's own semantic pass and code generation are
// what --emit-elf checks.
package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// Options configure a Verifier.
type Options struct {
	KB           *kb.KB
	ClangPath    string // default: clang from PATH
	BpftoolPath  string // default: bpftool from PATH
	BpftracePath string // default: bpftrace from PATH
	IncludePaths []string
	// CacheDir holds generated vmlinux.h files; default: the kb cache dir.
	CacheDir string
	// Timeout bounds each external process; default 60 s.
	Timeout time.Duration
}

// Result of one verification.
type Result struct {
	Findings []analysis.Finding
	// Log is the full compiler, verifier or bpftrace output.
	Log      string
	Duration time.Duration
	Cached   bool
}

// Verifier runs verification jobs: one per path at a time (a newer
// request cancels the older one), with results cached by content.
type Verifier struct {
	opts Options

	mu      sync.Mutex
	running map[string]context.CancelFunc
	cache   map[string]Result
	order   []string
	vmMu    sync.Mutex
}

// New makes a Verifier.
func New(opts Options) *Verifier {
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.CacheDir == "" {
		opts.CacheDir = kb.CacheDir()
	}
	return &Verifier{opts: opts, running: map[string]context.CancelFunc{}, cache: map[string]Result{}}
}

const cacheSize = 64

// Verify verifies text (the document at path, possibly unsaved) of the
// given dialect. A newer Verify for the same path cancels this one, which
// then returns ctx's error as an information finding.
func (v *Verifier) Verify(ctx context.Context, path, text string, d analysis.Dialect) Result {
	start := time.Now()
	key := v.key(path, text, d)
	v.mu.Lock()
	if r, ok := v.cache[key]; ok {
		v.mu.Unlock()
		r.Cached = true
		r.Duration = time.Since(start)
		return r
	}
	if cancel, ok := v.running[path]; ok {
		cancel()
	}
	ctx, cancel := context.WithCancel(ctx)
	v.running[path] = cancel
	v.mu.Unlock()
	defer func() {
		v.mu.Lock()
		delete(v.running, path)
		v.mu.Unlock()
		cancel()
	}()

	var r Result
	switch d {
	case analysis.DialectC:
		r = v.verifyC(ctx, path, text)
	case analysis.DialectBpftrace:
		r = v.verifyBpftrace(ctx, path, text)
	default:
		r.Findings = []analysis.Finding{unavailable("no verifier for this kind of file")}
	}
	r.Duration = time.Since(start)
	if ctx.Err() != nil {
		return Result{Findings: []analysis.Finding{unavailable("verification was cancelled by a newer request")}, Duration: r.Duration}
	}
	v.mu.Lock()
	v.cache[key] = r
	v.order = append(v.order, key)
	if len(v.order) > cacheSize {
		delete(v.cache, v.order[0])
		v.order = v.order[1:]
	}
	v.mu.Unlock()
	return r
}

func (v *Verifier) key(path, text string, d analysis.Dialect) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", d, filepath.Dir(path), strings.Join(v.opts.IncludePaths, ":"))
	if v.opts.KB != nil {
		fmt.Fprintf(h, "%s\x00%s\x00", v.opts.KB.Meta.Kernel, v.opts.KB.Meta.BTFSHA256)
	}
	h.Write([]byte(text))
	return hex.EncodeToString(h.Sum(nil))
}

// unavailable is the one finding that says verification could not run.
func unavailable(why string) analysis.Finding {
	f := analysis.New(analysis.KG604, analysis.Span{}, "verification unavailable: "+why)
	f.Severity = analysis.Information
	return f
}

// run runs a command with the time limit, killing its whole process group
// on timeout or cancellation.
func (v *Verifier) run(ctx context.Context, dir string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, v.opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() == context.DeadlineExceeded {
		return string(out), fmt.Errorf("%s timed out after %v", filepath.Base(name), v.opts.Timeout)
	}
	return string(out), err
}

func lookTool(configured, name string) (string, error) {
	if configured != "" {
		if _, err := os.Stat(configured); err != nil {
			return "", err
		}
		return configured, nil
	}
	return exec.LookPath(name)
}

// Merge combines static findings with verification findings: one problem,
// one finding. The static finding wins, as it carries the fix: a compiler
// or verifier complaint about the stack is dropped when the static checks
// report KG505, and one starting where a static error starts (bpftrace's
// "Unknown function: log2" under kgent's KG201) is dropped.
func Merge(static, verified []analysis.Finding) []analysis.Finding {
	out := append([]analysis.Finding(nil), static...)
	stackSpans := []analysis.Span{}
	errStarts := map[int]bool{}
	for _, f := range static {
		if f.Code == analysis.KG505 {
			stackSpans = append(stackSpans, f.Span)
		}
		if f.Severity == analysis.Error {
			errStarts[f.Span.Start] = true
		}
	}
	for _, f := range verified {
		if len(stackSpans) > 0 && strings.Contains(f.Message, "stack") {
			continue
		}
		if f.Span != (analysis.Span{}) && errStarts[f.Span.Start] {
			continue
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Span.Start < out[j].Span.Start })
	return out
}

var errNoPrivilege = errors.New("not privileged")
