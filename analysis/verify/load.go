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

// load loads every program of the object through the verifier, each on
// its own (with the maps it needs), so that every rejection is found.
// Nothing is attached; every program and map is closed again.
func (v *Verifier) load(ctx context.Context, obj, src, text string, idx *analysis.LineIndex) ([]analysis.Finding, string) {
	if k := v.opts.KB; k != nil && k.Meta.Source == "btf-file" {
		// Another machine's kernel: this machine's verifier is not its.
		return []analysis.Finding{unavailable("the kb describes another kernel (" + k.Meta.Kernel + "); this machine's verifier cannot check programs for it, so only compilation ran")}, ""
	}
	if why := privilege(); why != "" {
		return []analysis.Finding{unavailable(why)}, ""
	}
	raw, err := os.ReadFile(obj)
	if err != nil {
		return []analysis.Finding{unavailable("cannot read the compiled object: " + err.Error())}, ""
	}
	// What libbpf adjusts or resolves before the kernel sees the object,
	// kgent does too (libbpf.go).
	patched, info, err := libbpfObject(raw)
	if err != nil {
		return []analysis.Finding{unavailable("the compiled object cannot be prepared for loading: " + err.Error())}, ""
	}
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(patched))
	if err != nil {
		// clang made the object; what the loader cannot read (a section
		// cilium/ebpf does not support) is kgent's limit, not the program's.
		return []analysis.Finding{unavailable("the compiled object cannot be prepared for loading: " + err.Error())}, ""
	}
	if errs := libbpfMaps(spec); len(errs) > 0 {
		// libbpf creates every map before it loads a program: the
		// object does not load.
		var fs []analysis.Finding
		for _, e := range errs {
			f := analysis.New(analysis.KG602, mapSpan(text, e.name), "the object does not load: map "+e.name+": "+e.why)
			f.Source = analysis.SourceVerifier
			fs = append(fs, f)
		}
		return fs, ""
	}
	libbpfFuncs(spec, info)
	if err := libbpfKconfig(spec, info); err != nil {
		// libbpf refuses the whole object before loading any program.
		f := analysis.New(analysis.KG602, externSpan(text, err.Error()), "the object does not load: libbpf cannot resolve a __kconfig extern: "+err.Error())
		f.Source = analysis.SourceVerifier
		return []analysis.Finding{f}, ""
	}
	names := make([]string, 0, len(spec.Programs))
	for n := range spec.Programs {
		names = append(names, n)
	}
	sort.Strings(names)
	var fs []analysis.Finding
	var logs []string
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		ps := spec.Programs[name]
		if ps.Type == ebpf.UnspecifiedProgram {
			// libbpf refuses the object: it cannot tell the kind of
			// program (cilium/ebpf would load it as a socket filter).
			f := analysis.New(analysis.KG602, programSpan(src, text, idx, ps), fmt.Sprintf("program %s does not load: libbpf cannot guess the program type from its section %q (use a section libbpf knows: tp/, kprobe/, xdp, ...)", name, ps.SectionName))
			f.Source = analysis.SourceVerifier
			fs = append(fs, f)
			continue
		}
		var opts ebpf.CollectionOptions
		if v.opts.Verbose {
			opts.Programs.LogLevel = ebpf.LogLevelStats
		}
		coll, err := ebpf.NewCollectionWithOptions(only(spec, name), opts)
		if err == nil {
			if p := coll.Programs[name]; v.opts.Verbose && p != nil {
				logs = append(logs, fmt.Sprintf("program %s (%s): accepted\n%s", name, ps.SectionName, strings.TrimSpace(p.VerifierLog)))
			}
			coll.Close()
			continue
		}
		if v.opts.Verbose {
			// The statistics-only log names no instructions: load again
			// with the default log, which the verifier fills on failure.
			if c2, err2 := ebpf.NewCollectionWithOptions(only(spec, name), ebpf.CollectionOptions{}); err2 != nil {
				err = err2
			} else {
				c2.Close()
			}
		}
		at := programSpan(src, text, idx, ps)
		var vlog []string
		if ve := (*ebpf.VerifierError)(nil); errors.As(err, &ve) {
			vlog = splitLog(ve.Log)
		} else if errors.Is(err, unix.EFAULT) {
			// The verifier returned EFAULT ("the sequence of 8193 jumps
			// is too complex", an internal error): cilium/ebpf drops the
			// log then. libbpf keeps it: ask libbpf, through bpftool.
			vlog = splitLog(v.libbpfLog(ctx, obj, name, spec))
		}
		switch {
		case keySentence(vlog) != "":
			logs = append(logs, fmt.Sprintf("program %s (%s):\n%s", name, ps.SectionName, strings.Join(vlog, "\n")))
			f := verifierFinding(ps, vlog, src, text, idx, at)
			if coreBadRelocation.MatchString(keySentence(vlog)) || slices.ContainsFunc(vlog, func(l string) bool { return strings.Contains(l, "instruction poisoned by CO-RE") }) {
				if msg, field := coreMessage(ps, spec.Types, failingInsn(vlog)); msg != "" {
					f.Message = msg
					// clang often hoists the offset load to the function's
					// first line: point at the field's use in the program.
					if sp, ok := useOf(text, field, f.Span.Start); ok {
						f.Span = sp
					}
				}
			}
			fs = append(fs, f)
		case errors.Is(err, unix.EPERM):
			// privilege() loaded a program, so EPERM here is the kernel
			// refusing this kind of program, not a missing capability.
			kind := attachKind(ps)
			f := analysis.New(analysis.KG604, at, fmt.Sprintf("this kernel refuses to load %s programs (EPERM with full privilege): %s compiled but cannot be verified here", kind, name))
			f.Severity = analysis.Information
			f.Notes = append(f.Notes, err.Error())
			fs = append(fs, f)
		case ps.Type == ebpf.StructOps:
			f := analysis.New(analysis.KG604, at, fmt.Sprintf("struct_ops program %s is not verified on its own: the kernel loads it only through its struct_ops map (%s)", name, loadError(name, err)))
			f.Severity = analysis.Information
			fs = append(fs, f)
		case errors.Is(err, btf.ErrNotFound) || errors.Is(err, ebpf.ErrNotSupported) && strings.Contains(err.Error(), ": attach "):
			f := analysis.New(analysis.KG602, at, fmt.Sprintf("program %s does not load: its attach target or a type it needs is not in the kernel's BTF (%s)", name, loadError(name, err)))
			f.Source = analysis.SourceVerifier
			fs = append(fs, f)
		default:
			f := analysis.New(analysis.KG602, at, fmt.Sprintf("program %s does not load: %s", name, loadError(name, err)))
			f.Source = analysis.SourceVerifier
			fs = append(fs, f)
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Span.Start < fs[j].Span.Start })
	return fs, strings.Join(logs, "\n\n")
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
