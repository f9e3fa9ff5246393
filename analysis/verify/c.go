package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

const srcName = "prog.bpf.c"

var clangDiagRe = regexp.MustCompile(`^(.+?):(\d+):(\d+): (error|warning|fatal error): (.*)$`)

func targetArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86"
	case "arm64":
		return "arm64"
	case "s390x":
		return "s390"
	case "ppc64le":
		return "powerpc"
	case "riscv64":
		return "riscv"
	}
	return runtime.GOARCH
}

// vmlinuxDir returns a directory holding vmlinux.h for the target BTF,
// generating it once per BTF hash.
func (v *Verifier) vmlinuxDir(ctx context.Context) (string, error) {
	btfPath := kb.HostBTF
	sum := "host"
	if v.opts.KB != nil {
		if p := v.opts.KB.BTFPath(); p != "" {
			btfPath = p
		}
		if s := v.opts.KB.Meta.BTFSHA256; len(s) >= 16 {
			sum = s[:16]
		}
	}
	if _, err := os.Stat(btfPath); err != nil {
		return "", fmt.Errorf("no BTF to generate vmlinux.h from (%s)", btfPath)
	}
	dir := filepath.Join(v.opts.CacheDir, "vmlinux-"+sum)
	hdr := filepath.Join(dir, "vmlinux.h")
	v.vmMu.Lock()
	defer v.vmMu.Unlock()
	if st, err := os.Stat(hdr); err == nil && st.Size() > 0 {
		return dir, nil
	}
	bpftool, err := lookTool(v.opts.BpftoolPath, "bpftool")
	if err != nil {
		return "", errors.New("bpftool is not installed (apt-get install bpftool); it generates vmlinux.h")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out, err := v.run(ctx, dir, bpftool, "btf", "dump", "file", btfPath, "format", "c")
	if err != nil {
		return "", fmt.Errorf("bpftool could not generate vmlinux.h: %v", err)
	}
	tmp := hdr + ".tmp"
	if err := os.WriteFile(tmp, []byte(out), 0o644); err != nil {
		return "", err
	}
	return dir, os.Rename(tmp, hdr)
}

func (v *Verifier) verifyC(ctx context.Context, path, text string) Result {
	var r Result
	clang, err := lookTool(v.opts.ClangPath, "clang")
	if err != nil {
		r.Findings = []analysis.Finding{unavailable("clang is not installed (apt-get install clang llvm)")}
		return r
	}
	vmDir, err := v.vmlinuxDir(ctx)
	if err != nil {
		r.Findings = []analysis.Finding{unavailable(err.Error())}
		return r
	}
	tmp, err := os.MkdirTemp("", "kgent-verify-")
	if err != nil {
		r.Findings = []analysis.Finding{unavailable(err.Error())}
		return r
	}
	defer os.RemoveAll(tmp)
	if err := os.WriteFile(filepath.Join(tmp, srcName), []byte(text), 0o644); err != nil {
		r.Findings = []analysis.Finding{unavailable(err.Error())}
		return r
	}
	args := []string{"-O2", "-g", "-target", "bpf", "-D__TARGET_ARCH_" + targetArch(), "-Wall", "-Wno-unused-variable", "-Wno-unused-function",
		"-I" + vmDir}
	if path != "" && path != "-" {
		if abs, err := filepath.Abs(filepath.Dir(path)); err == nil {
			args = append(args, "-I"+abs)
		}
	}
	for _, p := range v.opts.IncludePaths {
		args = append(args, "-I"+p)
	}
	args = append(args, "-c", srcName, "-o", "prog.o")
	out, err := v.run(ctx, tmp, clang, args...)
	r.Log = out
	idx := analysis.NewLineIndex(text)
	r.Findings = append(r.Findings, clangFindings(out, idx)...)
	if err != nil {
		if !analysis.HasErrors(r.Findings) {
			f := analysis.New(analysis.KG601, analysis.Span{}, "clang failed: "+firstLine(strings.TrimSpace(out+" "+err.Error())))
			f.Source = analysis.SourceClang
			r.Findings = append(r.Findings, f)
		}
		return r
	}
	r.Findings = append(r.Findings, v.load(filepath.Join(tmp, "prog.o"), text, idx, &r)...)
	return r
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// clangFindings turns clang's diagnostics about the program itself into
// findings; diagnostics inside headers are kept only as notes of the
// finding on the #include chain's first line in the program.
func clangFindings(out string, idx *analysis.LineIndex) []analysis.Finding {
	var fs []analysis.Finding
	var headerNotes []string
	for _, line := range strings.Split(out, "\n") {
		m := clangDiagRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		file, ln, col, kind, msg := m[1], m[2], m[3], m[4], m[5]
		if filepath.Base(file) != srcName {
			if kind != "warning" {
				headerNotes = append(headerNotes, fmt.Sprintf("%s:%s:%s: %s", file, ln, col, msg))
			}
			continue
		}
		l, _ := strconv.Atoi(ln)
		c, _ := strconv.Atoi(col)
		start := idx.LineStart(l-1) + c - 1
		end := start + identLen(idx, start, l-1)
		f := analysis.New(analysis.KG601, analysis.Span{Start: start, End: end}, msg)
		f.Source = analysis.SourceClang
		if kind == "warning" {
			f.Severity = analysis.Warning
		}
		fs = append(fs, f)
	}
	if len(headerNotes) > 0 {
		f := analysis.New(analysis.KG601, analysis.Span{}, "compile error in an included header: "+headerNotes[0])
		f.Source = analysis.SourceClang
		f.Notes = headerNotes
		fs = append(fs, f)
	}
	return fs
}

// identLen is the length of the identifier at off (at least 1 byte).
func identLen(idx *analysis.LineIndex, off, line int) int {
	end := idx.LineEnd(line)
	n := 0
	for off+n < end {
		c := textAt(idx, off+n)
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			break
		}
		n++
	}
	if n == 0 && off < end {
		n = 1
	}
	return n
}

func textAt(idx *analysis.LineIndex, off int) byte { return idx.Byte(off) }

var privOnce struct {
	done bool
	err  error
}

// load loads every program of the object through the verifier.
func (v *Verifier) load(obj, text string, idx *analysis.LineIndex, r *Result) []analysis.Finding {
	_ = rlimit.RemoveMemlock()
	spec, err := ebpf.LoadCollectionSpec(obj)
	if err != nil {
		f := analysis.New(analysis.KG602, analysis.Span{}, "the object cannot be read for loading: "+err.Error())
		f.Source = analysis.SourceVerifier
		return []analysis.Finding{f}
	}
	var kernelTypes *btf.Spec
	if v.opts.KB != nil && v.opts.KB.Meta.Source == "btf-file" {
		// Another machine's kernel: this kernel's verifier is not that one.
		return []analysis.Finding{unavailable("the kb describes another kernel (" + v.opts.KB.Meta.Kernel + "); the verifier of this machine cannot check it, so only compilation ran")}
	}
	names := make([]string, 0, len(spec.Programs))
	for n := range spec.Programs {
		names = append(names, n)
	}
	sort.Strings(names)
	var fs []analysis.Finding
	var logs []string
	for _, name := range names {
		ps := spec.Programs[name]
		one := spec.Copy()
		one.Programs = map[string]*ebpf.ProgramSpec{name: one.Programs[name]}
		coll, err := ebpf.NewCollectionWithOptions(one, ebpf.CollectionOptions{
			Programs: ebpf.ProgramOptions{LogLevel: ebpf.LogLevelBranch | ebpf.LogLevelStats, KernelTypes: kernelTypes},
		})
		if err == nil {
			coll.Close()
			continue
		}
		secLine := sectionSpan(text, idx, ps.SectionName)
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) && meaningfulLog(ve.Log) {
			logs = append(logs, fmt.Sprintf("program %s:\n%s", name, strings.Join(ve.Log, "\n")))
			fs = append(fs, verifierFinding(ps, ve, text, idx, secLine))
			continue
		}
		if errors.Is(err, unix.EPERM) {
			if os.Geteuid() != 0 {
				return []analysis.Finding{unavailable("loading through the verifier needs root or CAP_BPF; run as root, or rely on the static checks and compilation")}
			}
			f := analysis.New(analysis.KG604, secLine, fmt.Sprintf("this kernel refuses to load %s programs (EPERM even as root): %s compiled but cannot be verified here", ps.Type, name))
			f.Severity = analysis.Information
			fs = append(fs, f)
			continue
		}
		f := analysis.New(analysis.KG602, secLine, fmt.Sprintf("program %s does not load: %v", name, err))
		f.Source = analysis.SourceVerifier
		fs = append(fs, f)
	}
	r.Log += strings.Join(logs, "\n\n")
	return fs
}

// meaningfulLog reports whether the verifier said more than nothing.
func meaningfulLog(log []string) bool {
	for _, l := range log {
		if strings.TrimSpace(l) != "" {
			return true
		}
	}
	return false
}

// sectionSpan finds SEC("name") in text, for findings about a whole program.
func sectionSpan(text string, idx *analysis.LineIndex, section string) analysis.Span {
	q := `"` + section + `"`
	if i := strings.Index(text, q); i >= 0 {
		return analysis.Span{Start: i + 1, End: i + len(q) - 1}
	}
	return analysis.Span{}
}

var insnRe = regexp.MustCompile(`^(\d+): \(`)

// verifierFinding places a rejection on the source line of the failing
// instruction, with the verifier's key sentence as advice.
func verifierFinding(ps *ebpf.ProgramSpec, ve *ebpf.VerifierError, text string, idx *analysis.LineIndex, fallback analysis.Span) analysis.Finding {
	failing := -1
	for _, l := range ve.Log {
		if m := insnRe.FindStringSubmatch(l); m != nil {
			failing, _ = strconv.Atoi(m[1])
		}
	}
	sp := fallback
	if failing >= 0 {
		var last *btf.Line
		iter := ps.Instructions.Iterate()
		for iter.Next() {
			if src, ok := iter.Ins.Source().(*btf.Line); ok {
				last = src
			}
			if int(iter.Offset) >= failing {
				break
			}
		}
		if last != nil && last.LineNumber() > 0 {
			line := int(last.LineNumber()) - 1
			start, end := idx.LineStart(line), idx.LineEnd(line)
			for start < end && (text[start] == ' ' || text[start] == '\t') {
				start++
			}
			sp = analysis.Span{Start: start, End: end}
		}
	}
	key := keySentence(ve.Log)
	f := analysis.New(analysis.KG602, sp, advice(key))
	f.Source = analysis.SourceVerifier
	f.Notes = append(f.Notes, "verifier log:\n"+strings.Join(tail(ve.Log, 40), "\n"))
	return f
}

func tail(l []string, n int) []string {
	if len(l) > n {
		return l[len(l)-n:]
	}
	return l
}

// keySentence is the verifier's complaint: the last log line that is not
// an instruction dump, register state or statistics.
func keySentence(log []string) string {
	for i := len(log) - 1; i >= 0; i-- {
		l := strings.TrimSpace(log[i])
		if l == "" || insnRe.MatchString(l) || strings.HasPrefix(l, "processed ") || strings.HasPrefix(l, ";") ||
			strings.HasPrefix(l, "verification time") || strings.HasPrefix(l, "stack depth") || strings.HasPrefix(l, "R") && strings.Contains(l, "=") && !strings.Contains(l, " ") ||
			strings.HasPrefix(l, "from ") || strings.HasPrefix(l, "cur state:") || strings.HasPrefix(l, "old state:") || strings.HasPrefix(l, "mark_precise") || strings.HasPrefix(l, "last_idx") || strings.HasPrefix(l, "regs=") || strings.HasPrefix(l, "parent ") {
			continue
		}
		if strings.HasPrefix(l, "-- BEGIN PROG LOAD LOG --") || strings.HasPrefix(l, "-- END PROG LOAD LOG --") {
			continue
		}
		return l
	}
	return "the verifier rejected the program"
}

var advices = []struct {
	re     *regexp.Regexp
	advice string
}{
	{regexp.MustCompile(`invalid mem access '(map_value_or_null|.*_or_null)'`), "the result of the map lookup (or other nullable pointer) must be checked for NULL before use"},
	{regexp.MustCompile(`invalid access to packet|invalid packet access|outside of the packet|out of bounds`), "packet access out of bounds: compare data + offset with data_end before reading"},
	{regexp.MustCompile(`back-edge|infinite loop|loop is not bounded|too complex|BPF program is too large`), "the verifier cannot prove this loop ends: use a constant bound, bpf_loop() or bpf_for()"},
	{regexp.MustCompile(`invalid (indirect )?read from stack|!read_ok`), "reads uninitialised memory: initialise the variable (or zero the buffer) before use"},
	{regexp.MustCompile(`cannot use helper|unknown func|helper call is not allowed`), "this helper is not allowed in this program type"},
	{regexp.MustCompile(`combined stack size|stack limit|invalid write to stack R10 off=-5[1-9][0-9]|invalid stack off`), "the program uses more than 512 bytes of stack"},
	{regexp.MustCompile(`invalid bpf_context access|invalid ctx access|dereference of modified ctx`), "invalid access to the program context: this field cannot be accessed here, or not with this size"},
	{regexp.MustCompile(`GPL-restricted|GPL-incompatible|gpl_only`), "a GPL-only helper needs a GPL-compatible license: char LICENSE[] SEC(\"license\") = \"GPL\""},
	{regexp.MustCompile(`R0 !read_ok|R0 is not a known value`), "the program must set a return value before exit"},
	{regexp.MustCompile(`invalid mem access 'scalar'`), "dereferences a number as a pointer: read kernel memory with bpf_probe_read_kernel() or BPF_CORE_READ()"},
}

func advice(key string) string {
	for _, a := range advices {
		if a.re.MatchString(key) {
			return a.advice + " (verifier: " + key + ")"
		}
	}
	return "the verifier rejected the program: " + key
}
