package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// defaultSrcName names the buffer in the temporary directory when the
// document has no usable name.
const defaultSrcName = "prog.bpf.c"

// targetArch is the -D__TARGET_ARCH_ suffix libbpf's bpf_tracing.h
// expects for the machine kgent runs on.
func targetArch() string {
	switch runtime.GOARCH {
	case "amd64", "386":
		return "x86"
	case "arm64":
		return "arm64"
	case "arm":
		return "arm"
	case "s390x":
		return "s390"
	case "ppc64le", "ppc64":
		return "powerpc"
	case "riscv64":
		return "riscv"
	case "mips64", "mips64le", "mips", "mipsle":
		return "mips"
	case "loong64":
		return "loongarch"
	}
	return runtime.GOARCH
}

// targetBTF is the BTF file vmlinux.h is made from and its sha256.
func (v *Verifier) targetBTF() (path, sum string, err error) {
	path = v.opts.BTFPath
	if k := v.opts.KB; k != nil {
		if p := k.BTFPath(); p != "" {
			path = p
			if k.Meta.Source != "host" {
				sum = k.Meta.BTFSHA256
			}
		}
	}
	if path == "" {
		path = kb.HostBTF
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", "", fmt.Errorf("there is no kernel BTF to generate vmlinux.h from (%s is missing: the kernel needs CONFIG_DEBUG_INFO_BTF=y, or pass another machine's BTF with --btf)", path)
	}
	if sum != "" {
		return path, sum, nil
	}
	// The host BTF changes with the running kernel: hash it (once per
	// size and modification time) rather than trust an older kb.
	id := fmt.Sprintf("%s\x00%d\x00%d", path, st.Size(), st.ModTime().UnixNano())
	if s, ok := v.btfSums.Load(id); ok {
		return path, s.(string), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("cannot read the kernel BTF %s: %v", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", "", fmt.Errorf("cannot read the kernel BTF %s: %v", path, err)
	}
	sum = hex.EncodeToString(h.Sum(nil))
	v.btfSums.Store(id, sum)
	return path, sum, nil
}

// vmlinuxDir returns a directory holding vmlinux.h for the target BTF,
// generating it once per BTF sha256. The header is written to a temporary
// file and renamed into place, so a concurrent kgent never sees half of it.
func (v *Verifier) vmlinuxDir(ctx context.Context) (string, error) {
	btfPath, sum, err := v.targetBTF()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(v.opts.CacheDir, "vmlinux", sum)
	hdr := filepath.Join(dir, "vmlinux.h")
	v.vmMu.Lock()
	defer v.vmMu.Unlock()
	// A header in a cache other users can write may be planted: the
	// cache must be the user's own, and so must the header.
	if err := kb.PrivateDir(v.opts.CacheDir); err != nil {
		return "", err
	}
	if st, err := os.Stat(hdr); err == nil && st.Size() > 0 && kb.OwnedFile(hdr) == nil {
		return dir, nil
	}
	bpftool, err := lookTool(v.opts.BpftoolPath, "bpftool")
	if err != nil {
		return "", errors.New("bpftool is not installed (apt-get install bpftool); it generates vmlinux.h from the kernel's BTF")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("cannot create the vmlinux.h cache: %v", err)
	}
	out, stderr, err := v.run(ctx, dir, bpftool, "btf", "dump", "file", btfPath, "format", "c")
	if err != nil {
		return "", fmt.Errorf("bpftool cannot generate vmlinux.h from %s: %v %s", btfPath, err, firstLine(strings.TrimSpace(stderr)))
	}
	if !strings.Contains(out, "#ifndef __VMLINUX_H__") {
		return "", fmt.Errorf("bpftool's output for %s is not a vmlinux.h", btfPath)
	}
	tmp, err := os.CreateTemp(dir, "vmlinux.h.*.tmp")
	if err != nil {
		return "", fmt.Errorf("cannot write vmlinux.h: %v", err)
	}
	_, werr := tmp.WriteString(out)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), hdr)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("cannot write vmlinux.h: %v", werr)
	}
	return dir, nil
}

// srcNameFor is the name the buffer is compiled under: the document's
// own name when it is a plain C file name, so clang's messages read as
// the user's.
func srcNameFor(path string) string {
	base := filepath.Base(path)
	if path == "" || path == "-" || !strings.HasSuffix(base, ".c") || strings.ContainsAny(base, " \t\n\"'\\") {
		return defaultSrcName
	}
	return base
}

func (v *Verifier) verifyC(ctx context.Context, path, text string) Result {
	tmp, err := privateDir("kgent-verify-", v.opts.Untrusted)
	if err != nil {
		return Result{Findings: []analysis.Finding{unavailable("cannot create a temporary directory: " + err.Error())}}
	}
	defer os.RemoveAll(tmp)
	obj := filepath.Join(tmp, "prog.o")
	r, ok := v.compileC(ctx, path, text, tmp, obj)
	if !ok {
		return r
	}
	src := srcNameFor(path)
	fs, log := v.load(ctx, obj, src, text, analysis.NewLineIndex(text))
	r.Findings = append(r.Findings, fs...)
	if log != "" {
		if r.Log != "" {
			r.Log += "\n"
		}
		r.Log += log
	}
	return r
}

// CompileC compiles an eBPF C program to the object file obj as
// verification does (the target kernel's vmlinux.h, the same flags), for
// callers that load and attach it themselves. The Result holds clang's
// findings and log; ok says obj was written.
func (v *Verifier) CompileC(ctx context.Context, path, text, obj string) (r Result, ok bool) {
	tmp, err := privateDir("kgent-compile-", v.opts.Untrusted)
	if err != nil {
		return Result{Findings: []analysis.Finding{unavailable("cannot create a temporary directory: " + err.Error())}}, false
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "prog.o")
	if r, ok = v.compileC(ctx, path, text, tmp, out); !ok {
		return r, false
	}
	data, err := os.ReadFile(out)
	if err == nil {
		err = os.WriteFile(obj, data, 0o644)
	}
	if err != nil {
		r.Findings = append(r.Findings, unavailable("cannot write the object file: "+err.Error()))
		return r, false
	}
	return r, true
}

// compileC writes text into tmp (a private directory made by privateDir)
// and compiles it there to obj, inside tmp; ok says it did. Untrusted
// sources compile as nobody: what clang may read then is what any user
// may, plus what compileC copies into tmp (vmlinux.h when the cache is
// not readable by others, the program's own headers that are).
func (v *Verifier) compileC(ctx context.Context, path, text, tmp, obj string) (Result, bool) {
	var r Result
	clang, err := lookTool(v.opts.ClangPath, "clang")
	if err != nil {
		r.Findings = []analysis.Finding{unavailable("clang is not installed (apt-get install clang llvm)")}
		return r, false
	}
	vmDir, err := v.vmlinuxDir(ctx)
	if err != nil {
		r.Findings = []analysis.Finding{unavailable(err.Error())}
		return r, false
	}
	untrusted := v.opts.Untrusted
	src := srcNameFor(path)
	if err := os.WriteFile(filepath.Join(tmp, src), []byte(text), 0o644); err != nil {
		r.Findings = []analysis.Finding{unavailable("cannot write the program to a temporary directory: " + err.Error())}
		return r, false
	}
	flags := clangFlags()
	args := append([]string(nil), flags...)
	vmInc := vmDir
	pchOK := true
	if untrusted && !readableByNobody(filepath.Join(vmDir, "vmlinux.h")) {
		// The cache is private (a home directory): nobody gets a link
		// (or copy) of the header, and no precompiled one, which names
		// the cached path.
		vmInc = filepath.Join(tmp, ".kgent-vmlinux")
		if err := linkOrCopy(filepath.Join(vmDir, "vmlinux.h"), filepath.Join(vmInc, "vmlinux.h")); err != nil {
			r.Findings = []analysis.Finding{unavailable("cannot copy vmlinux.h to a temporary directory: " + err.Error())}
			return r, false
		}
		pchOK = false
	}
	if pchOK && startsWithVmlinux(text) {
		if pch := v.vmlinuxPCH(ctx, clang, vmDir, flags); pch != "" && (!untrusted || readableByNobody(pch)) {
			args = append(args, "-include-pch", pch)
		}
	}
	args = append(args, "-I"+vmInc)
	if path != "" && path != "-" {
		if abs, err := filepath.Abs(filepath.Dir(path)); err == nil {
			if untrusted {
				local := filepath.Join(tmp, ".kgent-local")
				copyLocalHeaders(text, abs, local)
				args = append(args, "-I"+local)
			} else {
				args = append(args, "-I"+abs)
			}
		}
	}
	for _, p := range v.opts.IncludePaths {
		if p != "" {
			args = append(args, "-I"+p)
		}
	}
	// "./": a file named like an option (-ofoo.bpf.c) stays a file.
	args = append(args, "-c", "./"+src, "-o", obj)
	p := proc{dir: tmp, tmp: tmp, drop: untrusted}
	stdout, stderr, err := v.runProc(ctx, p, clang, args...)
	if err != nil && ctx.Err() == nil && strings.Contains(stderr, ".pch") {
		// clang refused the precompiled header (clang upgraded under
		// us): compile without it.
		args = slices.DeleteFunc(args, func(a string) bool { return a == "-include-pch" || strings.HasSuffix(a, ".pch") })
		stdout, stderr, err = v.runProc(ctx, p, clang, args...)
	}
	out := stdout + stderr
	var oom errOutOfMemory
	if errors.As(err, &oom) {
		oom.tool = "clang"
		f := analysis.New(analysis.KG601, analysis.Span{}, oom.Error()+" compiling the program: a macro that expands without end, or more than verification allows (Options.MemoryLimit)")
		f.Source = analysis.SourceClang
		r.Findings = []analysis.Finding{f}
		r.Log = ownOutput(out, src, untrusted)
		return r, false
	}
	r.Log = ownOutput(out, src, untrusted)
	idx := analysis.NewLineIndex(text)
	r.Findings = append(r.Findings, clangFindings(out, src, text, idx, untrusted)...)
	if err != nil {
		if ctx.Err() != nil {
			return r, false
		}
		var te errTimeout
		if errors.As(err, &te) {
			r.Findings = append(r.Findings, unavailable(te.Error()))
			return r, false
		}
		if !analysis.HasErrors(r.Findings) {
			f := analysis.New(analysis.KG601, analysis.Span{}, "clang failed: "+firstLine(strings.TrimSpace(r.Log+" "+err.Error())))
			f.Source = analysis.SourceClang
			r.Findings = append(r.Findings, f)
		}
		return r, false
	}
	if st, err := os.Lstat(obj); err != nil || !st.Mode().IsRegular() {
		// What nobody left in its directory is not an object.
		r.Findings = append(r.Findings, unavailable("clang wrote no object file"))
		return r, false
	}
	return r, true
}

// linkOrCopy makes to (and its directory) hold from's content: a hard
// link when both are on one file system, else a copy.
func linkOrCopy(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	if os.Link(from, to) == nil {
		return nil
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}

// Limits of copyLocalHeaders.
const (
	maxLocalHeaders    = 64
	maxLocalHeaderSize = 4 << 20
)

var includeRe = regexp.MustCompile(`(?m)^[ \t]*#[ \t]*include(?:_next)?[ \t]*["<]([^">\n]+)[">]`)

// copyLocalHeaders copies into dst the headers text includes from its
// directory dir, and those they include in turn: only names relative to
// dir without "..", resolving (symbolic links followed) inside dir, to
// regular files at most 4 MiB that their owner made readable by others.
// A header that fails any of these is not copied, and clang reports it
// missing. Nothing else of dir is read.
func copyLocalHeaders(text, dir, dst string) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return
	}
	type item struct{ text, rel string } // rel: the includer's directory relative to root
	queue := []item{{text, "."}}
	seen := map[string]bool{}
	for len(queue) > 0 && len(seen) < maxLocalHeaders {
		it := queue[0]
		queue = queue[1:]
		for _, m := range includeRe.FindAllStringSubmatch(it.text, -1) {
			name := m[1]
			for _, base := range []string{it.rel, "."} {
				rel := filepath.Clean(filepath.Join(base, name))
				if filepath.IsAbs(name) || rel == ".." || strings.HasPrefix(rel, "../") || seen[rel] || len(seen) >= maxLocalHeaders {
					continue
				}
				real, err := filepath.EvalSymlinks(filepath.Join(root, rel))
				if err != nil || !(strings.HasPrefix(real, root+"/") || root == "/") {
					continue
				}
				st, err := os.Stat(real)
				if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o004 == 0 || st.Size() > maxLocalHeaderSize {
					continue
				}
				data, err := os.ReadFile(real)
				if err != nil || len(data) > maxLocalHeaderSize {
					continue
				}
				to := filepath.Join(dst, rel)
				if os.MkdirAll(filepath.Dir(to), 0o755) != nil || os.WriteFile(to, data, 0o644) != nil {
					continue
				}
				seen[rel] = true
				queue = append(queue, item{string(data), filepath.Dir(rel)})
				break
			}
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

var (
	clangDiagRe     = regexp.MustCompile(`^(.+?):(\d+):(\d+): (error|warning|fatal error|note): (.*)$`)
	clangIncludedRe = regexp.MustCompile(`^(?:In file included from|\s+from) (.+?):(\d+):$`)
	clangStackRe    = regexp.MustCompile(`stack limit of 512 bytes`)
)

// clangFindings turns clang's diagnostics into findings on the program's
// lines. A diagnostic inside a header lands on the program's #include
// line that brought the header in. clang reports an oversized stack on
// the function's name and again on instructions: those become one finding
// with the instructions as related places. With own set (untrusted
// sources) nothing of another file is repeated: an error in a header
// becomes "an included file has errors" on the #include line, and notes
// about other files are left out.
func clangFindings(out, src, text string, idx *analysis.LineIndex, own bool) []analysis.Finding {
	var fs []analysis.Finding
	includeLine := 0         // 1-based line of the program's #include of the current header
	last := -1               // index in fs of the finding notes attach to
	stackFn := -1            // index in fs of the current function's stack finding
	hidden := map[int]bool{} // own: include lines already holding a withheld error
	for _, line := range strings.Split(out, "\n") {
		if m := clangIncludedRe.FindStringSubmatch(line); m != nil {
			if strings.TrimPrefix(m[1], "./") == src {
				includeLine, _ = strconv.Atoi(m[2])
			}
			continue
		}
		m := clangDiagRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		file, kind, msg := strings.TrimPrefix(m[1], "./"), m[4], m[5]
		ln, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		if kind == "note" {
			if last >= 0 && (!own || file == src) {
				fs[last].Notes = append(fs[last].Notes, fmt.Sprintf("%s:%d:%d: %s", file, ln, col, msg))
			}
			continue
		}
		var sp analysis.Span
		if file == src {
			includeLine = 0
			// clang's columns count bytes from 1.
			start := min(idx.LineStart(ln-1)+max(col-1, 0), idx.LineEnd(ln-1))
			sp = analysis.Span{Start: start, End: start + tokenLen(text, start, idx.LineEnd(ln-1))}
		} else {
			if kind == "warning" {
				last = -1
				continue // warnings in headers are not the program's
			}
			if includeLine > 0 {
				start, end := lineSpan(text, idx, includeLine-1)
				sp = analysis.Span{Start: start, End: end}
			}
			if own {
				last = -1
				if hidden[includeLine] {
					continue
				}
				hidden[includeLine] = true
				f := analysis.New(analysis.KG601, sp, "an included file has errors (for a program from an untrusted source only its own file's diagnostics are shown)")
				f.Source = analysis.SourceClang
				fs = append(fs, f)
				continue
			}
			msg = fmt.Sprintf("in included file %s:%d:%d: %s", file, ln, col, msg)
		}
		if file == src && clangStackRe.MatchString(msg) {
			if stackFn >= 0 && !startsFunction(text, idx, sp.Start, ln-1) {
				fs[stackFn].Related = append(fs[stackFn].Related, analysis.Related{Span: sp, Message: "stack use past 512 bytes reached here"})
				last = stackFn
				continue
			}
			stackFn = len(fs)
		}
		f := analysis.New(analysis.KG601, sp, toolMessage(msg))
		f.Source = analysis.SourceClang
		if kind == "warning" {
			f.Severity = analysis.Warning
		}
		fs = append(fs, f)
		last = len(fs) - 1
	}
	return fs
}

// ownOutput is a tool's output as shown for a source: all of it for a
// trusted one; for an untrusted one only the diagnostics about the
// program's own file src (and the source and caret lines that follow
// them), the "N errors generated" summary and an out-of-memory report.
// Diagnostics in other files, the "In file included from" chain, crash
// dumps and anything else that might quote another file are left out.
func ownOutput(out, src string, own bool) string {
	if !own {
		return out
	}
	var keep []string
	inOwn := false
	for _, line := range strings.Split(out, "\n") {
		l := strings.TrimRight(line, "\r")
		if m := clangDiagRe.FindStringSubmatch(l); m != nil {
			inOwn = strings.TrimPrefix(m[1], "./") == src
		} else if m := btDiagRe.FindStringSubmatch(l); m != nil {
			inOwn = strings.TrimPrefix(m[1], "./") == src
		} else if clangIncludedRe.MatchString(l) || strings.HasPrefix(l, "In file included from") {
			inOwn = false
			continue
		} else if generatedRe.MatchString(l) || strings.HasPrefix(l, "LLVM ERROR: out of memory") || btPlainRe.MatchString(strings.TrimSpace(l)) {
			// bpftrace's own messages name no file.
			keep = append(keep, l)
			inOwn = false
			continue
		} else if !inOwn {
			continue
		}
		if inOwn {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

var generatedRe = regexp.MustCompile(`^\d+ (?:warnings?|errors?)(?: and \d+ (?:warnings?|errors?))? generated\.$`)

// startsFunction reports whether off, on line, names a function being
// defined: an identifier followed by '(' on a line that starts at column
// 0 (a definition, not a call inside a body).
func startsFunction(text string, idx *analysis.LineIndex, off, line int) bool {
	ls := idx.LineStart(line)
	if ls >= len(text) || text[ls] == ' ' || text[ls] == '\t' {
		return false
	}
	end := idx.LineEnd(line)
	i := off + tokenLen(text, off, end)
	for i < end && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	return i < end && text[i] == '('
}

// tokenLen is the length of the identifier or number at off, at least one
// byte when off is inside the line.
func tokenLen(text string, off, lineEnd int) int {
	n := 0
	for off+n < lineEnd {
		c := text[off+n]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			break
		}
		n++
	}
	if n == 0 && off < lineEnd {
		n = 1
	}
	return n
}

// lineSpan is line's span without its leading blanks.
func lineSpan(text string, idx *analysis.LineIndex, line int) (int, int) {
	start, end := idx.LineStart(line), idx.LineEnd(line)
	for start < end && (text[start] == ' ' || text[start] == '\t') {
		start++
	}
	for end > start && (text[end-1] == ' ' || text[end-1] == '\t' || text[end-1] == '\r') {
		end--
	}
	return start, end
}

// clangFlags are the flags every compile uses, and the precompiled
// vmlinux.h is made with.
func clangFlags() []string {
	flags := []string{"-O2", "-g", "-target", "bpf", "-D__TARGET_ARCH_" + targetArch(),
		"-Wall", "-Wno-unused-variable", "-Wno-unused-function", "-fno-color-diagnostics",
		// A crashing clang writes no reproducer (the preprocessed
		// program, world-readable, megabytes) into TMPDIR.
		"-fno-crash-diagnostics"}
	if d := multiarchInclude(); d != "" {
		flags = append(flags, "-idirafter", d)
	}
	return flags
}

// multiarchInclude is Debian's per-architecture include directory
// (/usr/include/x86_64-linux-gnu), where asm/ headers live: with -target
// bpf clang does not search it, and <bpf/usdt.bpf.h> (through
// linux/errno.h) needs asm/errno.h. libbpf's own builds add it the same
// way. "" when the host has none.
var multiarchInclude = sync.OnceValue(func() string {
	dirs, _ := filepath.Glob("/usr/include/*-linux-gnu")
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "asm", "errno.h")); err == nil {
			return d
		}
	}
	return ""
})

// startsWithVmlinux reports whether vmlinux.h is the program's first
// preprocessor directive, so that a precompiled vmlinux.h stands for it
// exactly: nothing defined before it (BPF_NO_PRESERVE_ACCESS_INDEX, say)
// can change what it declares.
func startsWithVmlinux(text string) bool {
	inComment := false
	for _, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		for {
			if inComment {
				i := strings.Index(l, "*/")
				if i < 0 {
					l = ""
					break
				}
				l, inComment = strings.TrimSpace(l[i+2:]), false
				continue
			}
			if strings.HasPrefix(l, "/*") {
				inComment = true
				l = l[2:]
				continue
			}
			break
		}
		if l == "" || strings.HasPrefix(l, "//") {
			continue
		}
		if !strings.HasPrefix(l, "#") {
			return false
		}
		d := strings.Join(strings.Fields(strings.TrimPrefix(l, "#")), " ")
		return strings.HasPrefix(d, `include "vmlinux.h"`) || strings.HasPrefix(d, "include <vmlinux.h>")
	}
	return false
}

// vmlinuxPCH returns vmlinux.h precompiled by this clang with flags, made
// once next to vmlinux.h (atomically, like it), or "" when clang cannot
// make one: compiling then parses vmlinux.h each time, about half of a
// compile. The name carries a hash of clang's identity and the flags, so
// an upgraded clang makes a new one.
func (v *Verifier) vmlinuxPCH(ctx context.Context, clang, vmDir string, flags []string) string {
	st, err := os.Stat(clang)
	if err != nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00%s", clang, st.Size(), st.ModTime().UnixNano(), strings.Join(flags, "\x00"))
	pch := filepath.Join(vmDir, "vmlinux.h."+hex.EncodeToString(h.Sum(nil))[:16]+".pch")
	if kb.OwnedFile(pch) == nil {
		return pch
	}
	v.pchMu.Lock()
	defer v.pchMu.Unlock()
	if kb.OwnedFile(pch) == nil {
		return pch
	}
	if v.pchFailed[pch] {
		return ""
	}
	tmp, err := os.CreateTemp(vmDir, "vmlinux.h.*.pch.tmp")
	if err != nil {
		return ""
	}
	tmp.Close()
	args := append(append([]string(nil), flags...), "-x", "c-header", filepath.Join(vmDir, "vmlinux.h"), "-o", tmp.Name())
	if _, _, err := v.run(ctx, vmDir, clang, args...); err != nil {
		os.Remove(tmp.Name())
		if ctx.Err() == nil {
			v.pchFailed[pch] = true
		}
		return ""
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return ""
	}
	if err := os.Rename(tmp.Name(), pch); err != nil {
		os.Remove(tmp.Name())
		return ""
	}
	return pch
}
