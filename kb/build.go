package kb

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"
)

// HostBTF is where the running kernel publishes its BTF.
const HostBTF = "/sys/kernel/btf/vmlinux"

// Paths the builder reads; tests and portable builds may point them
// elsewhere.
type Paths struct {
	BTF          string   // BTF file; default HostBTF
	Tracefs      []string // tracefs mount points tried in order
	Kallsyms     string
	EventSources string // /sys/bus/event_source/devices
	IncludeDirs  []string
}

func (p Paths) withDefaults() Paths {
	if p.BTF == "" {
		p.BTF = HostBTF
	}
	if p.Tracefs == nil {
		p.Tracefs = []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}
	}
	if p.Kallsyms == "" {
		p.Kallsyms = "/proc/kallsyms"
	}
	if p.EventSources == "" {
		p.EventSources = "/sys/bus/event_source/devices"
	}
	if p.IncludeDirs == nil {
		p.IncludeDirs = []string{"/usr/include", "/usr/local/include"}
	}
	return p
}

// BuildOptions control a build.
type BuildOptions struct {
	// BTFFile builds for another machine's kernel from its BTF: only what
	// BTF says is used; nothing of this machine (tracefs, kallsyms,
	// probes) is mixed in.
	BTFFile string
	// NoProbe skips loading probe programs even when privileged.
	NoProbe bool
	Paths   Paths
	// Progress, when set, receives one line per build step.
	Progress func(step string)
}

// Build builds a kb from the host (or from BTFFile) without touching the
// cache.
func Build(opts BuildOptions) (*KB, error) {
	d, btfPath, err := buildData(opts)
	if err != nil {
		return nil, err
	}
	k := New(d)
	k.buildBTF = btfPath
	return k, nil
}

// buildData gathers the facts Build indexes, and the BTF file it read.
func buildData(opts BuildOptions) (Data, string, error) {
	start := time.Now()
	p := opts.Paths.withDefaults()
	host := opts.BTFFile == ""
	if !host {
		p.BTF = opts.BTFFile
	}
	say := func(format string, args ...any) {
		if opts.Progress != nil {
			opts.Progress(fmt.Sprintf(format, args...))
		}
	}
	raw, err := ReadRegular(p.BTF, MaxBTFSize)
	if err != nil {
		return Data{}, "", fmt.Errorf("reading BTF: %w", err)
	}
	spec, err := btf.LoadSpecFromReader(bytes.NewReader(raw))
	if err != nil {
		return Data{}, "", fmt.Errorf("parsing BTF %s: %w", p.BTF, err)
	}
	sum := sha256.Sum256(raw)
	d := Data{Meta: Meta{
		Schema:    SchemaVersion,
		BTFSHA256: hex.EncodeToString(sum[:]),
		BuiltAt:   time.Now().UTC().Format(time.RFC3339),
		Sources:   map[string]string{},
		Source:    "btf-file",
	}}
	if host {
		d.Meta.Source = "host"
		var u unix.Utsname
		if unix.Uname(&u) == nil {
			d.Meta.Kernel = unix.ByteSliceToString(u.Release[:])
			d.Meta.Machine = unix.ByteSliceToString(u.Machine[:])
		}
	} else {
		d.Meta.Kernel = kernelReleaseFromBTF(spec)
	}
	say("reading BTF %s (%d KiB)", p.BTF, len(raw)>>10)
	if err := fromBTF(&d, spec); err != nil {
		return Data{}, "", err
	}
	d.Meta.Sources["functions"] = FromBTF
	d.Meta.Sources["types"] = FromBTF
	d.Meta.Sources["kfuncs"] = FromBTF
	d.Meta.Sources["raw_tracepoints"] = FromBTF
	say("BTF: %d functions, %d kfuncs, %d types, %d raw tracepoints, %d helpers", len(d.Funcs), len(d.Kfuncs), len(d.Types), len(d.RawTracepoints), len(d.Helpers))

	if protos, src := helperPrototypes(p.IncludeDirs); protos != nil {
		for i := range d.Helpers {
			if f, ok := protos[d.Helpers[i].Name]; ok {
				d.Helpers[i].Func = f
			}
		}
		d.Meta.Sources["helper_prototypes"] = src
	} else {
		d.Meta.Sources["helper_prototypes"] = "unavailable: " + src
	}

	if host {
		if tps, src, err := readTracefs(p.Tracefs); err == nil {
			d.Tracepoints = tps
			d.Meta.Sources["tracepoints"] = src
			linkTracepointStructs(&d)
			say("tracefs: %d tracepoints", len(tps))
		} else {
			d.Meta.Sources["tracepoints"] = "unavailable: " + err.Error()
			say("tracefs unavailable: %v", err)
		}
		if syms, err := readKallsyms(p.Kallsyms); err == nil {
			d.Kallsyms = syms
			d.Meta.Sources["kallsyms"] = FromKallsyms
			say("kallsyms: %d text symbols", len(syms))
		} else {
			d.Meta.Sources["kallsyms"] = "unavailable: " + err.Error()
		}
		if cfg, src, err := hostConfig(); err == nil {
			d.Config, d.Meta.Sources["config"] = cfg, src
		} else {
			d.Meta.Sources["config"] = "unavailable: " + err.Error()
		}
		if fns, src, err := hostTraceable(p.Tracefs); err == nil {
			d.Traceable, d.Meta.Sources["traceable"] = fns, src
		} else {
			d.Meta.Sources["traceable"] = "unavailable: " + err.Error()
		}
		d.Attach = sysfsAttachSupport(p)
		if !opts.NoProbe {
			priv, why := probePrivileged()
			d.Meta.Privileged = priv
			if priv {
				probeAttachKinds(&d)
				probeHelpers(&d, spec)
				d.Meta.Sources["helper_availability"] = FromProbe
				say("probed helpers for %d program types", len(d.ProgTypes))
			} else {
				d.Meta.Sources["helper_availability"] = "unavailable: " + why
			}
		}
	} else {
		d.Meta.Sources["tracepoints"] = "unavailable: built from a BTF file (tracefs of the target is not known)"
		d.Meta.Sources["kallsyms"] = "unavailable: built from a BTF file"
		d.Attach = map[string]Support{}
	}
	fillFromSnapshot(&d)
	say("built in %v", time.Since(start).Round(time.Millisecond))
	return d, p.BTF, nil
}

var releaseRe = regexp.MustCompile(`^\d+\.\d+\.\d+`)

// kernelReleaseFromBTF has nothing authoritative to go on: BTF carries no
// release string. It returns "unknown (BTF <hash>)" style names upstream.
func kernelReleaseFromBTF(*btf.Spec) string { return "unknown" }

// helperDefs finds the installed bpf_helper_defs.h.
func helperDefs(dirs []string) (string, error) {
	for _, d := range dirs {
		p := filepath.Join(d, "bpf", "bpf_helper_defs.h")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("bpf/bpf_helper_defs.h is not installed (apt-get install libbpf-dev)")
}

var helperProtoRe = regexp.MustCompile(`^static\s+(.+?)\(\s*\*\s*(?:const\s+)?(\w+)\s*\)\s*\((.*)\)\s*=\s*\(void\s*\*\)\s*(\d+)\s*;`)

// helperPrototypes parses helper prototypes out of the installed header.
func helperPrototypes(dirs []string) (map[string]*Func, string) {
	path, err := helperDefs(dirs)
	if err != nil {
		return nil, err.Error()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err.Error()
	}
	out := map[string]*Func{}
	for _, line := range strings.Split(string(data), "\n") {
		m := helperProtoRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f := &Func{Name: m[2], Return: strings.TrimSpace(m[1])}
		args := strings.TrimSpace(m[3])
		if args != "void" && args != "" {
			for _, a := range strings.Split(args, ",") {
				a = strings.TrimSpace(a)
				if a == "..." {
					f.Variadic = true
					continue
				}
				f.Params = append(f.Params, splitParam(a))
			}
		}
		out[f.Name] = f
	}
	return out, path
}

// splitParam splits "const void *key" into type and name.
func splitParam(a string) Param {
	i := strings.LastIndexAny(a, " *")
	if i < 0 || i == len(a)-1 {
		return Param{Type: a}
	}
	name := a[i+1:]
	typ := strings.TrimSpace(a[:i+1])
	return Param{Name: name, Type: typ}
}

// HelperDoc reads the documentation of a helper from the installed
// headers at run time (it is never stored in the kb or the repository).
func HelperDoc(name string) string {
	path, err := helperDefs(Paths{}.withDefaults().IncludeDirs)
	if err != nil {
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	text := string(data)
	marker := "\n * " + name + "\n"
	i := strings.Index(text, marker)
	if i < 0 {
		return ""
	}
	rest := text[i+len(marker):]
	end := strings.Index(rest, "*/")
	if end < 0 {
		return ""
	}
	var lines []string
	for _, l := range strings.Split(rest[:end], "\n") {
		l = strings.TrimPrefix(strings.TrimSpace(l), "*")
		l = strings.TrimPrefix(l, " ")
		lines = append(lines, strings.ReplaceAll(l, "\t", "    "))
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func readTracefs(roots []string) ([]Tracepoint, string, error) {
	var lastErr error = errors.New("no tracefs mount point")
	for _, root := range roots {
		events := filepath.Join(root, "events")
		cats, err := os.ReadDir(events)
		if err != nil {
			lastErr = fmt.Errorf("%s: %w (mount it with: mount -t tracefs tracefs /sys/kernel/tracing)", events, err)
			continue
		}
		var out []Tracepoint
		for _, c := range cats {
			if !c.IsDir() {
				continue
			}
			evs, err := os.ReadDir(filepath.Join(events, c.Name()))
			if err != nil {
				continue
			}
			for _, e := range evs {
				if !e.IsDir() {
					continue
				}
				data, err := os.ReadFile(filepath.Join(events, c.Name(), e.Name(), "format"))
				if err != nil {
					continue
				}
				tp := parseFormat(data)
				tp.Category, tp.Name, tp.Source = c.Name(), e.Name(), FromTracefs
				out = append(out, tp)
			}
		}
		if len(out) == 0 {
			lastErr = fmt.Errorf("%s has no readable event formats", events)
			continue
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Category != out[j].Category {
				return out[i].Category < out[j].Category
			}
			return out[i].Name < out[j].Name
		})
		return out, FromTracefs + " " + root, nil
	}
	return nil, "", lastErr
}

// parseFormat parses a tracefs format file.
func parseFormat(data []byte) Tracepoint {
	var tp Tracepoint
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(line, "ID:"); ok {
			tp.ID, _ = strconv.Atoi(strings.TrimSpace(v))
			continue
		}
		if !strings.HasPrefix(line, "field:") {
			continue
		}
		var f Field
		for _, part := range strings.Split(line, ";") {
			part = strings.TrimSpace(part)
			k, v, ok := strings.Cut(part, ":")
			if !ok {
				continue
			}
			switch k {
			case "field":
				f.Type, f.Name = splitField(v)
			case "offset":
				f.Offset, _ = strconv.Atoi(v)
			case "size":
				f.Size, _ = strconv.Atoi(v)
			case "signed":
				f.Signed = v == "1"
			}
		}
		if f.Name == "" || strings.HasPrefix(f.Name, "common_") {
			continue
		}
		tp.Fields = append(tp.Fields, f)
	}
	return tp
}

// splitField splits "const char * filename", "char comm[16]" or
// "__data_loc char[] name" into type and name; array bounds after the name
// stay with the type.
func splitField(decl string) (typ, name string) {
	decl = strings.TrimSpace(decl)
	arr := ""
	if strings.HasSuffix(decl, "]") {
		if i := strings.LastIndexByte(decl, '['); i >= 0 {
			arr = decl[i:]
			decl = strings.TrimSpace(decl[:i])
		}
	}
	i := strings.LastIndexAny(decl, " *]")
	if i < 0 {
		return decl + arr, decl
	}
	name = decl[i+1:]
	typ = strings.TrimSpace(decl[:i+1]) + arr
	return typ, name
}

// linkTracepointStructs records the BTF context struct of each tracepoint
// (trace_event_raw_<name>), when BTF has one by the event's own name.
func linkTracepointStructs(d *Data) {
	have := map[string]bool{}
	for _, t := range d.Types {
		if t.Kind == "struct" && strings.HasPrefix(t.Name, "trace_event_raw_") {
			have[t.Name] = true
		}
	}
	for i := range d.Tracepoints {
		if n := "trace_event_raw_" + d.Tracepoints[i].Name; have[n] {
			d.Tracepoints[i].Struct = n
		}
	}
}

func readKallsyms(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	zeros := 0
	sc := bufio.NewScanner(io.LimitReader(f, 256<<20))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		if fields[1] != "t" && fields[1] != "T" {
			continue
		}
		if strings.Trim(fields[0], "0") == "" {
			zeros++
		}
		name := fields[2]
		if i := strings.IndexByte(name, '.'); i > 0 {
			name = name[:i] // foo.isra.0 / foo.cold are clones of foo
		}
		out = append(out, name)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no text symbols")
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// sysfsAttachSupport records which dynamic probe kinds the kernel offers:
// kprobes and uprobes need their PMU or their tracefs event files.
func sysfsAttachSupport(p Paths) map[string]Support {
	out := map[string]Support{}
	devs, err := os.ReadDir(p.EventSources)
	if err != nil {
		return out
	}
	has := map[string]bool{}
	for _, d := range devs {
		has[d.Name()] = true
	}
	tracefsFile := func(name string) (bool, bool) {
		for _, root := range p.Tracefs {
			if _, err := os.Stat(filepath.Join(root, "events")); err != nil {
				continue
			}
			_, err := os.Stat(filepath.Join(root, name))
			return err == nil, true
		}
		return false, false
	}
	for _, kind := range []struct{ kind, pmu, file string }{
		{AttachKprobe, "kprobe", "kprobe_events"},
		{AttachUprobe, "uprobe", "uprobe_events"},
	} {
		if has[kind.pmu] {
			out[kind.kind] = Support{Supported: Yes, Reason: kind.pmu + " PMU present", Source: FromSysfs}
			continue
		}
		present, known := tracefsFile(kind.file)
		switch {
		case present:
			out[kind.kind] = Support{Supported: Yes, Reason: kind.file + " present in tracefs", Source: FromTracefs}
		case known:
			out[kind.kind] = Support{Supported: No, Reason: fmt.Sprintf("no %s PMU and no %s", kind.pmu, kind.file), Source: FromSysfs}
		default:
			out[kind.kind] = Support{Supported: No, Reason: fmt.Sprintf("no %s PMU (tracefs not mounted, %s not checked)", kind.pmu, kind.file), Source: FromSysfs}
		}
	}
	if s, ok := out[AttachKprobe]; ok {
		out[AttachKprobeMulti] = s
	}
	if s, ok := out[AttachUprobe]; ok {
		out[AttachUSDT] = s
	}
	if has["tracepoint"] {
		out[AttachTracepoint] = Support{Supported: Yes, Reason: "tracepoint PMU present", Source: FromSysfs}
	}
	return out
}
