package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

var (
	// bpftrace reports FILE:LINE:COL[-COL]: ERROR: message (WARNING too).
	btDiagRe    = regexp.MustCompile(`^(.*?):(\d+):(\d+)(?:-(\d+))?: (ERROR|WARNING): (.*)$`)
	btPlainRe   = regexp.MustCompile(`^(ERROR|WARNING): (.*)$`)
	btVersionRe = regexp.MustCompile(`v?(\d+)\.(\d+)(?:\.(\d+))?`)
)

// Version is an installed bpftrace's version.
type Version struct{ Major, Minor, Patch int }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// ParseBpftraceVersion reads `bpftrace --version` output ("bpftrace
// v0.17.0").
func ParseBpftraceVersion(out string) (Version, bool) {
	m := btVersionRe.FindStringSubmatch(out)
	if m == nil {
		return Version{}, false
	}
	var v Version
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		v.Patch, _ = strconv.Atoi(m[3])
	}
	return v, true
}

// bpftraceVersion is the version of the bpftrace at path, detected once
// per binary (kb.ToolVersion, shared with the static checks).
func (v *Verifier) bpftraceVersion(path string) (Version, error) {
	out, err := kb.ToolVersion(path)
	if err != nil {
		return Version{}, err
	}
	ver, ok := ParseBpftraceVersion(out)
	if !ok {
		return Version{}, fmt.Errorf("%s --version printed no version: %q", path, out)
	}
	return ver, nil
}

// How a bpftrace compiles a script without running it.
const (
	modeEmitELF = "emit-elf"
	modeCodegen = "codegen"
)

// btModes caches BpftraceCompileArgs's choice by bpftrace path.
var btModes sync.Map

// BpftraceCompileArgs are the arguments that make the bpftrace at path
// parse, analyse and generate code for a script without loading or
// running anything (the script's name follows them); out is where an
// ELF may be written. Up to 0.23 --emit-elf did that; releases with a
// --mode option load and run the program after writing the ELF (0.27.1
// ran a BEGIN probe's printf), and --mode codegen stops in time. Read
// from --help once per binary: a version number cannot say which
// release a distribution patched.
func BpftraceCompileArgs(ctx context.Context, bt, out string) ([]string, error) {
	mode, ok := btModes.Load(bt)
	if !ok {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		help, err := exec.CommandContext(ctx, bt, "--help").CombinedOutput()
		switch {
		case regexp.MustCompile(`(?m)^\s*--mode\b`).Match(help):
			mode = modeCodegen
		case bytes.Contains(help, []byte("--emit-elf")):
			mode = modeEmitELF
		default:
			if err == nil {
				err = errors.New("its --help names neither --emit-elf nor --mode")
			}
			return nil, fmt.Errorf("%s --help: %v", bt, err)
		}
		btModes.Store(bt, mode)
	}
	if mode == modeCodegen {
		return []string{"--mode", "codegen"}, nil
	}
	return []string{"--emit-elf", out}, nil
}

// emitELFSince is the first bpftrace with --emit-elf, which runs parsing,
// semantic analysis and code generation without loading or attaching.
var emitELFSince = Version{0, 12, 0}

func (v *Verifier) verifyBpftrace(ctx context.Context, path, text string) Result {
	var r Result
	bt, err := lookTool(v.opts.BpftracePath, "bpftrace")
	if err != nil {
		r.Findings = []analysis.Finding{unavailable("bpftrace is not installed (apt-get install bpftrace)")}
		return r
	}
	if os.Geteuid() != 0 {
		// bpftrace itself refuses ("only supports running as the root
		// user") before looking at the script.
		r.Findings = []analysis.Finding{unavailable("bpftrace only runs as root; run kgent as root to check scripts with the installed bpftrace, static checks still ran")}
		return r
	}
	ver, err := v.bpftraceVersion(bt)
	if err != nil {
		r.Findings = []analysis.Finding{unavailable("the installed bpftrace does not run: " + err.Error())}
		return r
	}
	if ver.Less(emitELFSince) {
		r.Findings = []analysis.Finding{unavailable(fmt.Sprintf("bpftrace %s is older than 0.12 and has no --emit-elf to check a script without attaching; install a newer bpftrace", ver))}
		return r
	}
	if v.opts.Untrusted {
		if at, why := includeProblem(text); why != "" {
			// bpftrace reads includes as root: an untrusted script only
			// gets system headers.
			f := unavailable("bpftrace was not run: " + why + "; bpftrace reads included files as root, so a script from an untrusted source may only include system headers by a plain relative name")
			idx := analysis.NewLineIndex(text)
			start, end := lineSpan(text, idx, idx.Position(at).Line)
			f.Span = analysis.Span{Start: start, End: end}
			r.Findings = []analysis.Finding{f}
			return r
		}
	}
	tmp, err := privateDir("kgent-bt-", false)
	if err != nil {
		r.Findings = []analysis.Finding{unavailable("cannot create a temporary directory: " + err.Error())}
		return r
	}
	defer os.RemoveAll(tmp)
	name := "script.bt"
	if b := filepath.Base(path); path != "" && path != "-" && !strings.ContainsAny(b, " \t\n:") {
		name = b
	}
	if err := os.WriteFile(filepath.Join(tmp, name), []byte(text), 0o600); err != nil {
		r.Findings = []analysis.Finding{unavailable("cannot write the script to a temporary directory: " + err.Error())}
		return r
	}
	// Parse, semantic analysis, code generation; nothing is loaded or
	// attached (--dry-run, where it exists, attaches). The script is
	// named "./name" (run in tmp) so that a name starting with '-' is
	// never an option.
	args, err := BpftraceCompileArgs(ctx, bt, filepath.Join(tmp, "out.o"))
	if err != nil {
		r.Findings = []analysis.Finding{unavailable("the installed bpftrace does not run: " + err.Error())}
		return r
	}
	stdout, stderr, runErr := v.runProc(ctx, proc{dir: tmp, tmp: tmp}, bt, append(args, "./"+name)...)
	out := stdout + stderr
	own := v.opts.Untrusted
	r.Log = fmt.Sprintf("bpftrace %s %s\n%s", ver, args[0]+" "+filepath.Base(args[1]), ownOutput(out, name, own))
	if ctx.Err() != nil {
		return r
	}
	var te errTimeout
	if errors.As(runErr, &te) {
		r.Findings = []analysis.Finding{unavailable(te.Error())}
		return r
	}
	var oom errOutOfMemory
	if errors.As(runErr, &oom) {
		oom.tool = "bpftrace"
		f := analysis.New(analysis.KG603, analysis.Span{}, oom.Error()+" checking the script: an #include of something endless (/dev/zero), a macro that expands without end, or more than verification allows (Options.MemoryLimit)")
		f.Source = analysis.SourceBpftrace
		r.Findings = []analysis.Finding{f}
		return r
	}
	r.Findings = bpftraceFindings(out, name, text, runErr != nil, own)
	for i := range r.Findings {
		r.Findings[i].Notes = append(r.Findings[i].Notes, fmt.Sprintf("reported by the installed bpftrace %s (%s)", ver, bt))
	}
	if runErr != nil && !analysis.HasErrors(r.Findings) {
		if strings.Contains(out, "only supports running as the root user") {
			r.Findings = []analysis.Finding{unavailable("bpftrace only runs as root; run kgent as root to check scripts with the installed bpftrace")}
			return r
		}
		f := analysis.New(analysis.KG603, analysis.Span{}, "bpftrace failed: "+firstLine(strings.TrimSpace(cleanBpftraceOutput(ownOutput(out, name, own))+" "+runErr.Error())))
		f.Source = analysis.SourceBpftrace
		r.Findings = append(r.Findings, f)
	}
	return r
}

// machineNoise are lines bpftrace prints about this machine, not the
// script, on every run: the RLIMIT_MEMLOCK complaint (0.17, even on
// success) and 0.27's "Could not read functions from
// available_filter_functions" where tracefs lacks it. They stay in the
// log and never become findings on the script.
var machineNoise = []string{"RLIMIT_MEMLOCK", "available_filter_functions"}

// cleanBpftraceOutput drops machineNoise lines.
func cleanBpftraceOutput(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		noise := false
		for _, n := range machineNoise {
			noise = noise || strings.Contains(l, n)
		}
		if !noise {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// bpftraceFindings turns bpftrace's diagnostics into findings on the
// script's lines; src is the script's name (bpftrace reports it as
// "./src"). Errors without a location only count when bpftrace failed
// (it prints some as warnings of a successful run). With own set
// (untrusted sources), diagnostics in other files (headers, bpftrace's
// definitions.h) become one "an included file has errors".
func bpftraceFindings(out, src, text string, failed, own bool) []analysis.Finding {
	idx := analysis.NewLineIndex(text)
	var fs []analysis.Finding
	hidden := false
	for _, line := range strings.Split(cleanBpftraceOutput(out), "\n") {
		line = strings.TrimRight(line, "\r")
		m := btDiagRe.FindStringSubmatch(line)
		if m == nil && own {
			// clang's diagnostics from bpftrace's C parser.
			if cm := clangDiagRe.FindStringSubmatch(line); cm != nil && strings.TrimPrefix(cm[1], "./") != src {
				if !hidden && cm[4] != "warning" && cm[4] != "note" {
					hidden = true
					fs = append(fs, bpftraceFinding(analysis.Span{}, "ERROR", "an included file or the script's C definitions have errors (for a script from an untrusted source only its own file's diagnostics are shown)"))
				}
				continue
			}
		}
		if m != nil {
			file, kind, msg := strings.TrimPrefix(m[1], "./"), m[5], m[6]
			ln, _ := strconv.Atoi(m[2])
			c1, _ := strconv.Atoi(m[3])
			c2 := c1 + 1
			if m[4] != "" {
				c2, _ = strconv.Atoi(m[4])
			}
			var sp analysis.Span
			if file == src || !own && filepath.Base(file) == filepath.Base(src) {
				ls, le := idx.LineStart(ln-1), idx.LineEnd(ln-1)
				start := min(ls+max(c1-1, 0), le)
				end := min(ls+max(c2-1, 0), le)
				if end <= start {
					end = min(start+1, le)
				}
				sp = analysis.Span{Start: start, End: end}
			} else if own {
				if !hidden && kind == "ERROR" {
					hidden = true
					fs = append(fs, bpftraceFinding(analysis.Span{}, "ERROR", "an included file has errors (for a script from an untrusted source only its own file's diagnostics are shown)"))
				}
				continue
			} else {
				msg = fmt.Sprintf("in %s:%d:%d: %s", file, ln, c1, msg)
			}
			fs = append(fs, bpftraceFinding(sp, kind, msg))
			continue
		}
		if m := btPlainRe.FindStringSubmatch(strings.TrimSpace(line)); m != nil && (failed || m[1] == "WARNING") {
			fs = append(fs, bpftraceFinding(analysis.Span{}, m[1], m[2]))
		}
	}
	return fs
}

func bpftraceFinding(sp analysis.Span, kind, msg string) analysis.Finding {
	f := analysis.New(analysis.KG603, sp, toolMessage(msg))
	f.Source = analysis.SourceBpftrace
	if kind == "WARNING" {
		f.Severity = analysis.Warning
	}
	return f
}
