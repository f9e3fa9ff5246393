package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/kgent/kgent/analysis"
)

var (
	privOnce sync.Once
	privWhy  string
)

// privilege reports why this process cannot load programs through the
// verifier, or "" when it can. It loads a trivial tracepoint program
// once: capabilities, not the user id, decide (root in a container may
// lack CAP_BPF; a user with CAP_BPF and CAP_PERFMON is enough).
func privilege() string {
	privOnce.Do(func() {
		_ = rlimit.RemoveMemlock()
		p, err := ebpf.NewProgramWithOptions(&ebpf.ProgramSpec{
			Type:         ebpf.TracePoint,
			License:      "GPL",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
		}, ebpf.ProgramOptions{LogDisabled: true})
		switch {
		case err == nil:
			p.Close()
		case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
			privWhy = "loading through the kernel verifier needs root (CAP_BPF with CAP_PERFMON, or CAP_SYS_ADMIN); run kgent as root to verify, static checks and compilation still ran"
		case errors.Is(err, unix.ENOSYS):
			privWhy = "this kernel has no BPF system call (CONFIG_BPF_SYSCALL is off)"
		default:
			privWhy = fmt.Sprintf("the kernel refuses even a trivial BPF program (%v)", err)
		}
	})
	return privWhy
}

// LoadReport is what loading a compiled object through one kernel's
// verifier gave, per program: the half of verification that runs where
// the verifier is (this machine's kernel, or a microVM's, which sends it
// back as JSON). Findings are made from it on the host (findings).
type LoadReport struct {
	// Kernel is the release of the kernel whose verifier ran; set for
	// a microVM's report.
	Kernel string `json:"kernel,omitempty"`
	// Error says the object could not be prepared for loading (what
	// cilium/ebpf cannot read is kgent's limit, not the program's).
	Error string `json:"error,omitempty"`
	// MapErrors are maps libbpf would create and the kernel refuse: the
	// object does not load, no program was tried.
	MapErrors []MapError `json:"map_errors,omitempty"`
	// Kconfig says libbpf cannot resolve a __kconfig extern: the object
	// does not load, no program was tried.
	Kconfig string `json:"kconfig,omitempty"`
	// Programs are the object's programs by name.
	Programs []ProgramReport `json:"programs,omitempty"`
}

// MapError is a map the object cannot create, and why.
type MapError struct {
	Name string `json:"name"`
	Why  string `json:"why"`
}

// ProgramReport is one program's load.
type ProgramReport struct {
	Name    string `json:"name"`
	Section string `json:"section,omitempty"`
	Loaded  bool   `json:"loaded"`
	// Log is the verifier's log: of a rejection, or an accepted
	// program's statistics when verbose.
	Log []string `json:"log,omitempty"`
	// Error is the load error without cilium/ebpf's "program NAME: ".
	Error string `json:"error,omitempty"`
	// Errno names the load's errno when it is one verification treats
	// apart: EPERM (the kernel refuses the kind), EFAULT (no log kept).
	Errno string `json:"errno,omitempty"`
	// MissingBTF: its attach target or a type it needs is not in the
	// kernel's BTF.
	MissingBTF bool `json:"missing_btf,omitempty"`
	// Unspecified: libbpf cannot tell its program type, it was not
	// loaded.
	Unspecified bool `json:"unspecified,omitempty"`
	// LogOmitted is how many lines of the start of Log a microVM left
	// out (its serial line is slow; the end has what findings need).
	LogOmitted int `json:"log_omitted,omitempty"`
}

// LoadObject loads every program of the compiled object raw through this
// machine's kernel verifier, each on its own with the maps it needs, so
// that every rejection is found, after making the object what libbpf
// would hand the kernel (libbpf.go). Nothing is attached; every program
// and map is closed again. It is what a microVM's init runs on each
// object, and what host verification runs in-process; the caller must
// be privileged (see privilege).
func LoadObject(ctx context.Context, raw []byte, verbose bool) LoadReport {
	var rep LoadReport
	patched, info, err := libbpfObject(raw)
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(patched))
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	if errs := libbpfMaps(spec); len(errs) > 0 {
		for _, e := range errs {
			rep.MapErrors = append(rep.MapErrors, MapError{e.name, e.why})
		}
		return rep
	}
	libbpfFuncs(spec, info)
	if err := libbpfKconfig(spec, info); err != nil {
		rep.Kconfig = err.Error()
		return rep
	}
	names := make([]string, 0, len(spec.Programs))
	for n := range spec.Programs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		ps := spec.Programs[name]
		pr := ProgramReport{Name: name, Section: ps.SectionName}
		if ps.Type == ebpf.UnspecifiedProgram {
			// libbpf refuses the object: it cannot tell the kind of
			// program (cilium/ebpf would load it as a socket filter).
			pr.Unspecified = true
			rep.Programs = append(rep.Programs, pr)
			continue
		}
		var opts ebpf.CollectionOptions
		if verbose {
			opts.Programs.LogLevel = ebpf.LogLevelStats
		}
		coll, err := ebpf.NewCollectionWithOptions(only(spec, name), opts)
		if err == nil {
			pr.Loaded = true
			if p := coll.Programs[name]; verbose && p != nil {
				pr.Log = strings.Split(strings.TrimSpace(p.VerifierLog), "\n")
			}
			coll.Close()
			rep.Programs = append(rep.Programs, pr)
			continue
		}
		if verbose {
			// The statistics-only log names no instructions: load again
			// with the default log, which the verifier fills on failure.
			if c2, err2 := ebpf.NewCollectionWithOptions(only(spec, name), ebpf.CollectionOptions{}); err2 != nil {
				err = err2
			} else {
				c2.Close()
			}
		}
		if ve := (*ebpf.VerifierError)(nil); errors.As(err, &ve) {
			pr.Log = splitLog(ve.Log)
		}
		pr.Error = loadError(name, err)
		switch {
		case errors.Is(err, unix.EFAULT):
			pr.Errno = "EFAULT"
		case errors.Is(err, unix.EPERM):
			pr.Errno = "EPERM"
		}
		pr.MissingBTF = errors.Is(err, btf.ErrNotFound) || errors.Is(err, ebpf.ErrNotSupported) && strings.Contains(err.Error(), ": attach ")
		rep.Programs = append(rep.Programs, pr)
	}
	return rep
}

// load loads every program of the object through the target kernel's
// verifier: this machine's, or the target's microVM when the kb is a
// profile of a kernel image and a Pool is configured (vm.go); then the
// report becomes findings on the program's lines.
func (v *Verifier) load(ctx context.Context, obj, src, text string, idx *analysis.LineIndex) ([]analysis.Finding, string) {
	raw, err := os.ReadFile(obj)
	if err != nil {
		return []analysis.Finding{unavailable("cannot read the compiled object: " + err.Error())}, ""
	}
	if img, ok := v.vmTarget(); ok {
		rep, err := v.vmLoad(ctx, img, raw)
		if err != nil {
			return []analysis.Finding{unavailable(err.Error())}, ""
		}
		return v.findings(ctx, obj, raw, rep, src, text, idx)
	}
	if k := v.opts.KB; k != nil && k.Meta.Source == "btf-file" {
		// Another machine's kernel: this machine's verifier is not its.
		why := "the kb describes another kernel (" + k.Meta.Kernel + "); this machine's verifier cannot check programs for it, so only compilation ran"
		if w := v.vmWhyNot(); w != "" {
			why += " (" + w + ")"
		}
		return []analysis.Finding{unavailable(why)}, ""
	}
	if why := privilege(); why != "" {
		if w := v.vmHostWhyNot(); w != "" {
			why += " (" + w + ")"
		}
		return []analysis.Finding{unavailable(why)}, ""
	}
	return v.findings(ctx, obj, raw, LoadObject(ctx, raw, v.opts.Verbose), src, text, idx)
}

// findings turns a LoadReport into findings on the program's lines: the
// object is read again here (as LoadObject prepared it) for the
// instructions' line info and the CO-RE relocations. A report from a
// microVM (rep.Kernel set) says whose verifier rejected.
func (v *Verifier) findings(ctx context.Context, obj string, raw []byte, rep LoadReport, src, text string, idx *analysis.LineIndex) ([]analysis.Finding, string) {
	if rep.Error != "" {
		// clang made the object; what the loader cannot read (a section
		// cilium/ebpf does not support) is kgent's limit, not the program's.
		return []analysis.Finding{unavailable("the compiled object cannot be prepared for loading: " + rep.Error)}, ""
	}
	patched, info, err := libbpfObject(raw)
	if err != nil {
		return []analysis.Finding{unavailable("the compiled object cannot be prepared for loading: " + err.Error())}, ""
	}
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(patched))
	if err != nil {
		return []analysis.Finding{unavailable("the compiled object cannot be prepared for loading: " + err.Error())}, ""
	}
	libbpfFuncs(spec, info)
	on := ""    // " on <release>" for messages of a microVM's kernel
	whose := "" // "rejected by the verifier of <release>: "
	if rep.Kernel != "" {
		on = " on " + rep.Kernel
		whose = "rejected by the verifier of " + rep.Kernel + ": "
	}
	var fs []analysis.Finding
	for _, e := range rep.MapErrors {
		// libbpf creates every map before it loads a program: the
		// object does not load.
		f := analysis.New(analysis.KG602, mapSpan(text, e.Name), "the object does not load"+on+": map "+e.Name+": "+e.Why)
		f.Source = analysis.SourceVerifier
		fs = append(fs, f)
	}
	if len(fs) > 0 {
		return fs, ""
	}
	if rep.Kconfig != "" {
		// libbpf refuses the whole object before loading any program.
		f := analysis.New(analysis.KG602, externSpan(text, rep.Kconfig), "the object does not load"+on+": libbpf cannot resolve a __kconfig extern: "+rep.Kconfig)
		f.Source = analysis.SourceVerifier
		return []analysis.Finding{f}, ""
	}
	var logs []string
	seenMap := map[string]bool{}
	for _, pr := range rep.Programs {
		if ctx.Err() != nil {
			break
		}
		name := pr.Name
		ps := spec.Programs[name]
		if ps == nil {
			continue
		}
		at := programSpan(src, text, idx, ps)
		if pr.Unspecified {
			f := analysis.New(analysis.KG602, at, fmt.Sprintf("program %s does not load: libbpf cannot guess the program type from its section %q (use a section libbpf knows: tp/, kprobe/, xdp, ...)", name, ps.SectionName))
			f.Source = analysis.SourceVerifier
			fs = append(fs, f)
			continue
		}
		if pr.Loaded {
			if v.opts.Verbose && len(pr.Log) > 0 {
				logs = append(logs, fmt.Sprintf("program %s (%s): accepted%s\n%s", name, ps.SectionName, on, strings.TrimSpace(strings.Join(pr.Log, "\n"))))
			}
			continue
		}
		vlog := pr.Log
		if len(vlog) == 0 && pr.Errno == "EFAULT" && rep.Kernel == "" {
			// The verifier returned EFAULT ("the sequence of 8193 jumps
			// is too complex", an internal error): cilium/ebpf drops the
			// log then. libbpf keeps it: ask libbpf, through bpftool.
			vlog = splitLog(v.libbpfLog(ctx, obj, name, spec))
		}
		switch {
		case keySentence(vlog) != "":
			omitted := ""
			if pr.LogOmitted > 0 {
				omitted = fmt.Sprintf("(the first %d lines of the log stayed in the VM)\n", pr.LogOmitted)
			}
			logs = append(logs, fmt.Sprintf("program %s (%s)%s:\n%s%s", name, ps.SectionName, on, omitted, strings.Join(vlog, "\n")))
			f := verifierFinding(ps, vlog, src, text, idx, at)
			if coreBadRelocation.MatchString(keySentence(vlog)) || slices.ContainsFunc(vlog, func(l string) bool { return strings.Contains(l, "instruction poisoned by CO-RE") }) {
				if msg, field := coreMessage(ps, spec.Types, failingInsn(vlog), v.coreKernel(rep)); msg != "" {
					f.Message = msg
					// clang often hoists the offset load to the function's
					// first line: point at the field's use in the program.
					if sp, ok := useOf(text, field, f.Span.Start); ok {
						f.Span = sp
					}
				}
			}
			if strings.Contains(keySentence(vlog), "number of funcs in func_info doesn't match number of subprogs") {
				// A kernel before 5.13 does not know callbacks: the
				// subprogram a helper calls back (bpf_loop, for_each_map_elem,
				// timers) is one it cannot account for. Point at the call.
				if sp, msg, ok := callbackUse(ps, src, text, idx); ok {
					f.Span, f.Message = sp, msg+" (verifier: "+keySentence(vlog)+")"
				}
			}
			f.Message = whose + f.Message
			fs = append(fs, f)
		case pr.Errno == "EPERM":
			// privilege() loaded a program (a microVM's init is root),
			// so EPERM here is the kernel refusing this kind of program,
			// not a missing capability.
			kind := attachKind(ps)
			f := analysis.New(analysis.KG604, at, fmt.Sprintf("this kernel%s refuses to load %s programs (EPERM with full privilege): %s compiled but cannot be verified here", on, kind, name))
			f.Severity = analysis.Information
			f.Notes = append(f.Notes, "program "+name+": "+pr.Error)
			fs = append(fs, f)
		case ps.Type == ebpf.StructOps:
			f := analysis.New(analysis.KG604, at, fmt.Sprintf("struct_ops program %s is not verified on its own: the kernel loads it only through its struct_ops map (%s)", name, pr.Error))
			f.Severity = analysis.Information
			fs = append(fs, f)
		case pr.MissingBTF:
			f := analysis.New(analysis.KG602, at, fmt.Sprintf("%sprogram %s does not load: its attach target or a type it needs is not in the kernel's BTF (%s)", whose, name, pr.Error))
			f.Source = analysis.SourceVerifier
			fs = append(fs, f)
		case kfuncErrRe.MatchString(pr.Error):
			// The kernel's BTF has no such kfunc: at its first use.
			kf := kfuncErrRe.FindStringSubmatch(pr.Error)[1]
			if sp, ok := useOf(text, kf, at.Start); ok {
				at = sp
			}
			f := analysis.New(analysis.KG602, at, fmt.Sprintf("%sprogram %s does not load: the kernel has no kfunc %s (%s)", whose, name, kf, pr.Error))
			f.Source = analysis.SourceVerifier
			fs = append(fs, f)
		default:
			if m := mapErrRe.FindStringSubmatch(pr.Error); m != nil {
				// A map the kernel cannot create: at its definition,
				// once for all the programs that need it.
				if sp := mapSpan(text, m[1]); sp != (analysis.Span{}) {
					at = sp
				}
				if seenMap[pr.Error] {
					continue
				}
				seenMap[pr.Error] = true
			}
			f := analysis.New(analysis.KG602, at, fmt.Sprintf("%sprogram %s does not load: %s", whose, name, pr.Error))
			f.Source = analysis.SourceVerifier
			fs = append(fs, f)
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Span.Start < fs[j].Span.Start })
	return fs, strings.Join(logs, "\n\n")
}

// callbackUse finds the first callback a program passes to a helper (an
// ld_imm64 of a BPF_PSEUDO_FUNC, then the call): its source line and a
// message naming the helper.
func callbackUse(ps *ebpf.ProgramSpec, src, text string, idx *analysis.LineIndex) (analysis.Span, string, bool) {
	iter := ps.Instructions.Iterate()
	for iter.Next() {
		ins := iter.Ins
		if !ins.OpCode.IsDWordLoad() || ins.Src != asm.PseudoFunc {
			continue
		}
		cb := ins.Reference()
		helper := ""
		for j := iter.Index + 1; j < len(ps.Instructions) && j < iter.Index+32; j++ {
			if c := ps.Instructions[j]; c.IsBuiltinCall() {
				helper = helperName(asm.BuiltinFunc(c.Constant))
				break
			}
		}
		line := insnLine(ps, int(iter.Offset), src)
		if line <= 0 || line > idx.Lines() {
			return analysis.Span{}, "", false
		}
		start, end := lineSpan(text, idx, line-1)
		sp := analysis.Span{Start: start, End: end}
		if helper != "" {
			if i := identIndex(text[start:end], helper); i >= 0 {
				sp = analysis.Span{Start: start + i, End: start + i + len(helper)}
			}
			return sp, fmt.Sprintf("this kernel's verifier does not know callbacks (5.13 and later): %s cannot call back %s", helper, cb), true
		}
		return sp, fmt.Sprintf("this kernel's verifier does not know callbacks (5.13 and later): the callback %s is refused", cb), true
	}
	return analysis.Span{}, "", false
}

// helperName is a helper's C name ("bpf_loop" for asm.FnLoop).
func helperName(fn asm.BuiltinFunc) string {
	n := strings.TrimPrefix(fn.String(), "Fn")
	if n == "" || strings.HasPrefix(n, "BuiltinFunc(") {
		return ""
	}
	var b strings.Builder
	b.WriteString("bpf")
	for i, r := range n {
		if r >= 'A' && r <= 'Z' {
			if i == 0 || !(n[i-1] >= 'A' && n[i-1] <= 'Z') {
				b.WriteByte('_')
			}
			b.WriteRune(r - 'A' + 'a')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// loadError is err without the "program NAME: " prefix cilium/ebpf adds.
func loadError(name string, err error) string {
	return strings.TrimPrefix(err.Error(), "program "+name+": ")
}

// attachKind names a program's kind as its section does: "fentry",
// "lsm", "tp_btf".
func attachKind(ps *ebpf.ProgramSpec) string {
	kind, _, _ := strings.Cut(ps.SectionName, "/")
	if kind == "" {
		return ps.Type.String()
	}
	return kind
}

// programSpan is where findings about a whole program go: the program
// function's name on the line its first instruction comes from, else the
// name anywhere after its SEC(), else the section name.
func programSpan(src, text string, idx *analysis.LineIndex, ps *ebpf.ProgramSpec) analysis.Span {
	secAt := -1
	if i := strings.Index(text, `"`+ps.SectionName+`"`); i >= 0 {
		secAt = i
	}
	if len(ps.Instructions) > 0 {
		if l, ok := ps.Instructions[0].Source().(*btf.Line); ok && l.LineNumber() > 0 && int(l.LineNumber()) <= idx.Lines() && inFile(l, src) {
			line := int(l.LineNumber()) - 1
			if i := identIndex(text[idx.LineStart(line):idx.LineEnd(line)], ps.Name); i >= 0 {
				s := idx.LineStart(line) + i
				return analysis.Span{Start: s, End: s + len(ps.Name)}
			}
		}
	}
	if secAt >= 0 {
		if i := identIndex(text[secAt:], ps.Name); i >= 0 {
			return analysis.Span{Start: secAt + i, End: secAt + i + len(ps.Name)}
		}
		return analysis.Span{Start: secAt + 1, End: secAt + 1 + len(ps.SectionName)}
	}
	return analysis.Span{}
}

// identIndex finds name in s as a whole identifier.
func identIndex(s, name string) int {
	if name == "" {
		return -1
	}
	for off := 0; ; {
		i := strings.Index(s[off:], name)
		if i < 0 {
			return -1
		}
		i += off
		end := i + len(name)
		if (i == 0 || !isIdent(s[i-1])) && (end == len(s) || !isIdent(s[end])) {
			return i
		}
		off = i + 1
	}
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// verifierFinding places a rejection on the source line of the failing
// instruction (the last instruction the log shows; its index is the
// instruction's offset in the spec, whose BTF line info names the line),
// with the verifier's key sentence as advice and the log's tail as a note.
func verifierFinding(ps *ebpf.ProgramSpec, log []string, src, text string, idx *analysis.LineIndex, fallback analysis.Span) analysis.Finding {
	sp := fallback
	if line := insnLine(ps, failingInsn(log), src); line > 0 && line <= idx.Lines() {
		start, end := lineSpan(text, idx, line-1)
		sp = analysis.Span{Start: start, End: end}
	}
	key := keySentence(log)
	ex := explain(ps, log, src, text, idx)
	msg := advice(key)
	if ex.advice != "" && key != "" {
		msg = ex.advice + " (verifier: " + key + ")"
	}
	f := analysis.New(analysis.KG602, sp, msg)
	f.Source = analysis.SourceVerifier
	f.Related = ex.relatedFor(text, idx, sp)
	f.Notes = append(f.Notes, "class: "+ex.class)
	const n = 20
	t := log
	if len(t) > n {
		t = t[len(t)-n:]
	}
	f.Notes = append(f.Notes, fmt.Sprintf("program %s (%s); the verifier's log ends with:\n%s", ps.Name, ps.SectionName, strings.Join(t, "\n")))
	return f
}

// insnLine is the 1-based line in the program file src of the
// instruction at offset insn (in 8-byte units, as the verifier counts), or
// 0 when unknown. Line info is only attached where the line changes, so
// the line is the last one of src seen at or before the instruction
// (instructions inlined from a header keep the program's line that
// called them).
func insnLine(ps *ebpf.ProgramSpec, insn int, src string) int {
	if insn < 0 {
		return 0
	}
	line := 0
	iter := ps.Instructions.Iterate()
	for iter.Next() {
		l, ok := iter.Ins.Source().(*btf.Line)
		if !ok || l.LineNumber() == 0 || !inFile(l, src) {
			continue
		}
		if int(iter.Offset) > insn {
			if line == 0 {
				// No line info before the instruction (the first of a
				// program is sometimes without): the next line is the
				// statement it starts.
				line = int(l.LineNumber())
			}
			break
		}
		line = int(l.LineNumber())
	}
	return line
}

// inFile reports whether line info l is about the program file src rather
// than a header.
func inFile(l *btf.Line, src string) bool {
	return filepath.Base(l.FileName()) == src
}

// useOf finds the identifier name in text at or after from, before the
// next SEC( (the next program), or reports false.
func useOf(text, name string, from int) (analysis.Span, bool) {
	if name == "" || from < 0 || from > len(text) {
		return analysis.Span{}, false
	}
	rest := text[from:]
	if i := strings.Index(rest, "SEC("); i >= 0 {
		rest = rest[:i]
	}
	i := identIndex(rest, name)
	if i < 0 {
		return analysis.Span{}, false
	}
	return analysis.Span{Start: from + i, End: from + i + len(name)}, true
}

// only is a copy of spec with one program and the maps, except
// struct_ops maps: creating one registers its operations with the kernel
// (a TCP congestion control, a scheduler), which is attaching. Their
// programs load through the verifier without them. Program arrays start
// empty (their initial contents name other programs). Maps are never pinned
// (LIBBPF_PIN_BY_NAME): verification leaves nothing in bpffs and never
// reuses a map a running tool pinned.
func only(spec *ebpf.CollectionSpec, name string) *ebpf.CollectionSpec {
	one := spec.Copy()
	one.Programs = map[string]*ebpf.ProgramSpec{name: one.Programs[name]}
	for n, m := range one.Maps {
		if m.Type == ebpf.StructOpsMap {
			delete(one.Maps, n)
			continue
		}
		if m.Type == ebpf.ProgramArray {
			// Tail-call targets named in the map's initial contents
			// are verified as programs of their own.
			m.Contents = nil
		}
		for ; m != nil; m = m.InnerMap {
			m.Pinning = ebpf.PinNone
		}
	}
	return one
}

var (
	// kfuncErrRe is cilium/ebpf's error for a kfunc the kernel lacks.
	kfuncErrRe = regexp.MustCompile(`kfunc "(\w+)": not supported`)
	// mapErrRe is its error for a map that cannot be created.
	mapErrRe = regexp.MustCompile(`^map (\w+): `)
)

var externNameRe = regexp.MustCompile(`'(\w+)'`)

// externSpan is the declaration of the extern an error names ('NAME'),
// or the file's start.
func externSpan(text, msg string) analysis.Span {
	m := externNameRe.FindStringSubmatch(msg)
	if m == nil {
		return analysis.Span{}
	}
	for off := 0; ; {
		i := identIndex(text[off:], m[1])
		if i < 0 {
			return analysis.Span{}
		}
		i += off
		ls := strings.LastIndexByte(text[:i], '\n') + 1
		le := strings.IndexByte(text[i:], '\n')
		if le < 0 {
			le = len(text) - i
		}
		if strings.Contains(text[ls:i+le], "extern") {
			return analysis.Span{Start: i, End: i + len(m[1])}
		}
		off = i + len(m[1])
	}
}

// coreKernel is the kernel the report's object was relocated against:
// a microVM's (rep.Kernel, with the BTF of the kb's profile, which is
// that kernel's), or this machine's.
func (v *Verifier) coreKernel(rep LoadReport) coreKernel {
	if rep.Kernel == "" {
		return hostCoreKernel()
	}
	k := coreKernel{release: rep.Kernel, btf: func() (*btf.Spec, error) {
		return nil, errors.New("the BTF of " + rep.Kernel + " is not known")
	}}
	if p := v.opts.KB; p != nil && p.BTFPath() != "" {
		path := p.BTFPath()
		k.btf = func() (*btf.Spec, error) { return btf.LoadSpec(path) }
	} else if release := kernelRelease(); release == rep.Kernel {
		// The host kernel, verified in a VM without root.
		k.btf = btf.LoadKernelSpec
	}
	return k
}

// libbpfLog is the verifier's log of program name as libbpf obtains it,
// loading the object with bpftool (libbpf) into a private pin directory
// on bpffs that is removed again, or nil. Used when cilium/ebpf keeps no
// log (the verifier returned EFAULT). Objects with pinned maps are not
// loaded this way: libbpf would pin them, or reuse a running tool's.
func (v *Verifier) libbpfLog(ctx context.Context, obj, name string, spec *ebpf.CollectionSpec) []string {
	for _, m := range spec.Maps {
		if m.Pinning != ebpf.PinNone {
			return nil
		}
	}
	bpftool, err := lookTool(v.opts.BpftoolPath, "bpftool")
	if err != nil {
		return nil
	}
	var st unix.Statfs_t
	if unix.Statfs(bpffsRoot, &st) != nil || st.Type != unix.BPF_FS_MAGIC {
		return nil
	}
	dir, err := os.MkdirTemp(bpffsRoot, "kgent-verify-")
	if err != nil {
		return nil
	}
	defer os.RemoveAll(dir)
	_, stderr, _ := v.run(ctx, "", bpftool, "prog", "loadall", obj, dir)
	return libbpfProgLog(stderr, name)
}

// bpffsRoot is where libbpfLog pins, in a directory of its own.
const bpffsRoot = "/sys/fs/bpf"

// libbpfProgLog is program name's verifier log in libbpf's output
// ("libbpf: prog 'NAME': -- BEGIN PROG LOAD LOG --" ... "-- END PROG LOAD
// LOG --"), or nil.
func libbpfProgLog(out, name string) []string {
	begin := "libbpf: prog '" + name + "': -- BEGIN PROG LOAD LOG --"
	i := strings.Index(out, begin)
	if i < 0 {
		return nil
	}
	rest := strings.TrimPrefix(out[i+len(begin):], "\n")
	if j := strings.Index(rest, "-- END PROG LOAD LOG --"); j >= 0 {
		rest = rest[:j]
	}
	return strings.Split(strings.TrimRight(rest, "\n"), "\n")
}

// mapSpan is the name of map name where it is defined (followed by
// SEC(".maps")), or the file's start.
func mapSpan(text, name string) analysis.Span {
	for off := 0; ; {
		i := identIndex(text[off:], name)
		if i < 0 {
			return analysis.Span{}
		}
		i += off
		if rest := strings.TrimSpace(text[i+len(name):]); strings.HasPrefix(rest, "SEC(") {
			return analysis.Span{Start: i, End: i + len(name)}
		}
		off = i + len(name)
	}
}
