package kb

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cilium/ebpf/btf"
)

// ImageOptions name the files of a kernel another machine runs: its boot
// image and, when at hand, its System.map and config.
type ImageOptions struct {
	// Image is a bzImage (vmlinuz) or a vmlinux ELF; stripped is fine.
	Image string `json:",omitempty"`
	// SystemMap is the kernel's System.map; a placeholder (Debian ships
	// one that points at the -dbg package) is ignored. The image's own
	// kallsyms tables are used when there is none.
	SystemMap string `json:",omitempty"`
	// Config is the kernel's build configuration (config-<release>).
	Config string `json:",omitempty"`
	// ModuleSymbols lists the functions of the kernel's modules, one
	// "t name [module]" line each (as /proc/kallsyms lists modules';
	// scripts/kernels.sh writes modules.syms).
	ModuleSymbols string `json:",omitempty"`
	// Packages are distribution kernel packages (.deb) to take the
	// image, config and System.map from: linux-image-*, or in the newer
	// layout linux-binary-* and linux-base-*. Image, SystemMap and
	// Config override what they hold.
	Packages []string
	// Name is the profile's name ("debian-6.1"), recorded in Meta.Name.
	Name string `json:",omitempty"`
	// Progress, when set, receives one line per build step.
	Progress func(step string) `json:"-"`
	// Probe, when set, is a probe of this kernel running (in a microVM:
	// analysis/verify/microvm): helper availability, attach kinds and
	// map types are recorded from it instead of "not probed".
	Probe *KernelProbe `json:"probe,omitempty"`
	// ProbeWhere says where Probe ran, for Meta.Sources.
	ProbeWhere string `json:"probe_where,omitempty"`
}

// BuildImage builds a kb for the kernel in a boot image, from the image
// alone (plus its System.map and config when given): BTF from the
// vmlinux's .BTF section, the release from the image, symbols from its
// kallsyms tables, tracepoints from BTF and the image's event tables,
// kfuncs from BTF decl tags or the .BTF_ids sets, attach kinds from the
// config and BTF enums. Nothing of this machine is read. What the image
// cannot tell is left Unknown, and Meta.Sources says where each fact
// family came from.
func BuildImage(opts ImageOptions) (*KB, error) {
	start := time.Now()
	say := func(format string, args ...any) {
		if opts.Progress != nil {
			opts.Progress(fmt.Sprintf(format, args...))
		}
	}
	var image, sysmap, config *bootFile
	var readErrs []string
	var pkgMods []string
	pkgModCount := 0
	if len(opts.Packages) > 0 {
		bf, err := readKernelPackages(opts.Packages)
		if err != nil {
			return nil, err
		}
		image, sysmap, config = bf.image, bf.sysmap, bf.config
		if len(bf.modFuncs) > 0 {
			slices.Sort(bf.modFuncs)
			pkgMods, pkgModCount = slices.Compact(bf.modFuncs), bf.modules
		}
	}
	file := func(p string, limit int64) (*bootFile, error) {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		b, err := ReadRegular(p, limit)
		if err != nil {
			return nil, err
		}
		return &bootFile{name: p, data: b}, nil
	}
	if opts.Image != "" {
		f, err := file(opts.Image, MaxImageSize)
		if err != nil {
			return nil, fmt.Errorf("reading kernel image: %w", err)
		}
		image = f
	}
	if image == nil {
		return nil, errors.New("no kernel image given")
	}
	if opts.SystemMap != "" {
		if f, err := file(opts.SystemMap, 64<<20); err == nil {
			sysmap = f
		} else {
			readErrs = append(readErrs, err.Error())
		}
	}
	if opts.Config != "" {
		if f, err := file(opts.Config, 16<<20); err == nil {
			config = f
		} else {
			readErrs = append(readErrs, err.Error())
		}
	}
	b := image.data
	img, err := readVmlinux(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", image.name, err)
	}
	say("image %s: %s payload, %d MiB vmlinux, release %s", image.name, img.compression, len(img.raw)>>20, img.release)
	sec := img.elf.Section(".BTF")
	if sec == nil {
		return nil, fmt.Errorf("%s: the kernel has no .BTF section (built without CONFIG_DEBUG_INFO_BTF): kgent needs its BTF", image.name)
	}
	raw, ok := sectionBytes(img, sec)
	if !ok {
		return nil, fmt.Errorf("%s: the .BTF section lies outside the image", image.name)
	}
	raw = bytes.Clone(raw)
	// The kallsyms tables and the module list need no BTF: they are read
	// on another core while the BTF is parsed.
	type side struct {
		syms    *imageSyms
		symErr  error
		modFile *bootFile
		modErr  error
		mods    []string
		nmods   int
	}
	sideDone := make(chan side, 1)
	go func() {
		var r side
		r.syms, r.symErr = readImageKallsyms(img)
		if opts.ModuleSymbols != "" {
			r.modFile, r.modErr = file(opts.ModuleSymbols, 256<<20)
			if r.modErr == nil {
				r.mods, r.nmods = parseModuleSymbols(r.modFile.data)
			}
		}
		sideDone <- r
	}()
	spec, err := btf.LoadSpecFromReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: parsing its BTF: %w", image.name, err)
	}
	sum := sha256.Sum256(raw)
	d := Data{Meta: Meta{
		Schema:  SchemaVersion,
		Kernel:  img.release,
		Version: upstreamVersion(img.release, img.banner),
		Machine: elfMachine(img.elf),
		// "btf-file": another machine's kernel, known from its BTF (and
		// here its image): checks and verification treat it so (this
		// machine's verifier and probes are not that kernel's).
		// Sources["image"] names the image.
		Source:    "btf-file",
		Name:      opts.Name,
		BTFSHA256: hex.EncodeToString(sum[:]),
		BuiltAt:   time.Now().UTC().Format(time.RFC3339),
		Sources:   map[string]string{},
	}}
	if d.Meta.Kernel == "" {
		d.Meta.Kernel = "unknown"
		d.Meta.Sources["release"] = "unknown: the image has no version string"
	} else {
		d.Meta.Sources["release"] = FromImage + ": " + strings.TrimSpace(img.banner)
	}
	d.Meta.Sources["image"] = fmt.Sprintf("%s (%s-compressed)", image.name, img.compression)
	if err := fromBTF(&d, spec); err != nil {
		return nil, err
	}
	d.Meta.Sources["functions"] = FromBTF
	d.Meta.Sources["types"] = FromBTF
	d.Meta.Sources["raw_tracepoints"] = FromBTF
	d.Meta.Sources["helpers"] = FromBTF + ": enum bpf_func_id (every helper the kernel knows)"
	if protos, src := helperPrototypes(Paths{}.withDefaults().IncludeDirs); protos != nil {
		for i := range d.Helpers {
			if f, ok := protos[d.Helpers[i].Name]; ok {
				d.Helpers[i].Func = f
			}
		}
		d.Meta.Sources["helper_prototypes"] = src
	} else {
		d.Meta.Sources["helper_prototypes"] = "unavailable: " + src
	}
	say("BTF: %d functions, %d types, %d raw tracepoints, %d helpers", len(d.Funcs), len(d.Types), len(d.RawTracepoints), len(d.Helpers))

	if len(d.Kfuncs) > 0 {
		d.Meta.Sources["kfuncs"] = FromBTF + ": bpf_kfunc decl tags"
	} else if ks, n := kfuncsFromBTFIDs(img, spec, &d); len(ks) > 0 {
		d.Kfuncs = ks
		d.Meta.Sources["kfuncs"] = fmt.Sprintf("%s: %d kfunc id sets found by shape in .BTF_ids (the BTF has no bpf_kfunc decl tags)", FromImage, n)
	} else {
		d.Meta.Sources["kfuncs"] = FromBTF + ": no bpf_kfunc decl tags and no kfunc sets in .BTF_ids"
	}

	sd := <-sideDone
	syms, symErr := sd.syms, sd.symErr
	var mapErr error = errors.New("no System.map")
	var mapSyms []string
	if sysmap != nil {
		mapSyms, mapErr = parseSystemMap(sysmap.data, sysmap.name)
	}
	if mapErr == nil {
		d.Kallsyms = mapSyms
		d.Meta.Sources["kallsyms"] = "system.map " + sysmap.name
	} else if symErr == nil {
		d.Kallsyms = syms.textSymbols()
		why := ""
		if sysmap != nil {
			why = " (" + mapErr.Error() + ")"
		}
		d.Meta.Sources["kallsyms"] = fmt.Sprintf("%s: the kernel's kallsyms tables, %d symbols of vmlinux (modules' are not listed)%s", FromImage, len(syms.syms), why)
	} else {
		d.Meta.Sources["kallsyms"] = "unavailable: " + symErr.Error()
	}
	if len(pkgMods) > 0 && opts.ModuleSymbols == "" {
		d.ModuleFuncs = pkgMods
		d.Meta.Sources["module_functions"] = fmt.Sprintf("the packages' modules: %d functions of %d modules", len(pkgMods), pkgModCount)
	} else if opts.ModuleSymbols != "" {
		if sd.modErr != nil {
			d.Meta.Sources["module_functions"] = "unavailable: " + sd.modErr.Error()
		} else if len(sd.mods) > 0 {
			d.ModuleFuncs = sd.mods
			d.Meta.Sources["module_functions"] = fmt.Sprintf("%s: %d functions of %d modules", sd.modFile.name, len(sd.mods), sd.nmods)
		} else {
			d.Meta.Sources["module_functions"] = "unavailable: " + sd.modFile.name + " lists no module functions"
		}
	} else {
		d.Meta.Sources["module_functions"] = "unavailable: no module symbols given"
	}
	if d.Kallsyms != nil {
		d.Traceable = traceable(d.Kallsyms, d.Funcs)
		d.Meta.Sources["traceable"] = "text symbols that BTF describes (available_filter_functions would also drop notrace functions)"
		say("symbols: %d text symbols, %d traceable", len(d.Kallsyms), len(d.Traceable))
	}

	if symErr == nil {
		tps, note := imageTracepoints(img, spec, syms)
		d.Tracepoints = tps
		d.Meta.Sources["tracepoints"] = note
		say("tracepoints: %d", len(tps))
	} else {
		d.Meta.Sources["tracepoints"] = "unavailable: the image's event tables need its kallsyms: " + symErr.Error()
	}
	linkTracepointStructs(&d)

	switch {
	case config != nil:
		if cfg := configLines(config.data); len(cfg) > 0 {
			d.Config = cfg
			d.Meta.Sources["config"] = "config " + config.name
		} else {
			d.Meta.Sources["config"] = "unavailable: " + config.name + " has no CONFIG_ lines"
		}
	case len(readErrs) > 0:
		d.Meta.Sources["config"] = "unavailable: " + strings.Join(readErrs, "; ")
	default:
		d.Meta.Sources["config"] = "unavailable: no config file given"
	}
	d.ProgTypes = enumProgTypes(spec)
	d.Attach = attachFromConfig(d.Config, spec)
	d.Meta.Sources["attach"] = "config and BTF enums (bpf_prog_type, bpf_attach_type), not probed"
	d.Meta.Sources["helper_availability"] = "unknown: not probed (the kernel's helpers and program types are from BTF enums)"
	if opts.Probe != nil {
		where := opts.ProbeWhere
		if where == "" {
			where = "in a microVM running the image"
		}
		applyProbe(&d, opts.Probe, where)
	}
	fillFromSnapshot(&d)
	k := New(d)
	k.btfRaw = raw
	src := ImageOptions{Image: opts.Image, SystemMap: opts.SystemMap, Config: opts.Config, ModuleSymbols: opts.ModuleSymbols, Packages: opts.Packages, Name: opts.Name}
	for _, p := range []*string{&src.Image, &src.SystemMap, &src.Config, &src.ModuleSymbols} {
		if *p != "" {
			if abs, err := filepath.Abs(*p); err == nil {
				*p = abs
			}
		}
	}
	for i, p := range src.Packages {
		if abs, err := filepath.Abs(p); err == nil {
			src.Packages[i] = abs
		}
	}
	k.built = &src
	if len(opts.Packages) > 0 {
		k.packagedImage = image.data
	}
	say("built in %v", time.Since(start).Round(time.Millisecond))
	return k, nil
}

func elfMachine(f *elf.File) string {
	switch f.Machine {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_AARCH64:
		return "aarch64"
	case elf.EM_386:
		return "i686"
	}
	return strings.ToLower(strings.TrimPrefix(f.Machine.String(), "EM_"))
}

// parseSystemMap reads the text symbols of a System.map; a placeholder
// without any is an error saying so.
func parseSystemMap(b []byte, name string) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || (f[1] != "t" && f[1] != "T") {
			continue
		}
		name := f[2]
		if i := strings.IndexByte(name, '.'); i > 0 {
			name = name[:i]
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no text symbols (a placeholder?)", name)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// parseModuleSymbols reads "t name [module]" lines into sorted
// "name\tmodule" entries and counts the modules. Lines sorted by name
// (as scripts/kernels.sh writes them) are not sorted again.
func parseModuleSymbols(b []byte) ([]string, int) {
	out := make([]string, 0, bytes.Count(b, []byte{'\n'})+1)
	mods := map[string]bool{}
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		// "t name [module]"
		if len(line) < 6 || (line[0] != 't' && line[0] != 'T') || line[1] != ' ' || line[len(line)-1] != ']' {
			continue
		}
		rest := line[2 : len(line)-1]
		sp := bytes.LastIndex(rest, []byte(" ["))
		if sp <= 0 {
			continue
		}
		name, mod := rest[:sp], rest[sp+2:]
		if bytes.IndexByte(name, ' ') >= 0 || len(mod) == 0 {
			continue
		}
		if i := bytes.IndexByte(name, '.'); i > 0 {
			name = name[:i]
		}
		out = append(out, string(name)+"\t"+string(mod))
		if !mods[string(mod)] {
			mods[string(mod)] = true
		}
	}
	if !slices.IsSorted(out) {
		slices.Sort(out)
	}
	return slices.Compact(out), len(mods)
}

// traceable is the text symbols BTF has a function for.
func traceable(text []string, funcs []Func) []string {
	have := make(map[string]bool, len(funcs))
	for i := range funcs {
		have[funcs[i].Name] = true
	}
	var out []string
	for _, s := range text {
		if have[s] {
			out = append(out, s)
		}
	}
	return out
}

// enumProgTypes lists the program types kgent names that the kernel's
// enum bpf_prog_type has.
func enumProgTypes(spec *btf.Spec) []string {
	vals := enumValues(spec, "bpf_prog_type")
	var out []string
	for _, p := range probedProgTypes {
		if vals["BPF_PROG_TYPE_"+strings.ToUpper(p.name)] {
			out = append(out, p.name)
		}
	}
	return out
}

func enumValues(spec *btf.Spec, name string) map[string]bool {
	out := map[string]bool{}
	var e *btf.Enum
	if spec.TypeByName(name, &e) != nil {
		return out
	}
	for _, v := range e.Values {
		out[v.Name] = true
	}
	return out
}

// attachFromConfig says which attach kinds the kernel was built for: the
// program or attach type must be in its BTF enums and, with a config,
// the options the kind needs must be set. Without a config a kind the
// enums allow is Unknown.
func attachFromConfig(cfg []string, spec *btf.Spec) map[string]Support {
	prog := enumValues(spec, "bpf_prog_type")
	att := enumValues(spec, "bpf_attach_type")
	set := map[string]bool{}
	for _, l := range cfg {
		if k, v, ok := strings.Cut(l, "="); ok && (v == "y" || v == "m") {
			set[k] = true
		}
	}
	out := map[string]Support{}
	for _, k := range []struct {
		kind    string
		enum    string // a bpf_prog_type or bpf_attach_type value the kind needs
		configs []string
	}{
		{AttachKprobe, "BPF_PROG_TYPE_KPROBE", []string{"CONFIG_KPROBES", "CONFIG_KPROBE_EVENTS"}},
		{AttachKprobeMulti, "BPF_TRACE_KPROBE_MULTI", []string{"CONFIG_FPROBE"}},
		{AttachUprobe, "BPF_PROG_TYPE_KPROBE", []string{"CONFIG_UPROBE_EVENTS"}},
		{AttachUSDT, "BPF_PROG_TYPE_KPROBE", []string{"CONFIG_UPROBE_EVENTS"}},
		{AttachTracepoint, "BPF_PROG_TYPE_TRACEPOINT", []string{"CONFIG_TRACEPOINTS"}},
		{AttachRawTP, "BPF_PROG_TYPE_RAW_TRACEPOINT", []string{"CONFIG_TRACEPOINTS"}},
		{AttachTpBTF, "BPF_TRACE_RAW_TP", []string{"CONFIG_DEBUG_INFO_BTF"}},
		{AttachFentry, "BPF_TRACE_FENTRY", []string{"CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS"}},
		{AttachFexit, "BPF_TRACE_FEXIT", []string{"CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS"}},
		{AttachLSM, "BPF_LSM_MAC", []string{"CONFIG_BPF_LSM"}},
		{AttachPerfEvent, "BPF_PROG_TYPE_PERF_EVENT", []string{"CONFIG_PERF_EVENTS"}},
		{AttachXDP, "BPF_PROG_TYPE_XDP", nil},
		{AttachTC, "BPF_PROG_TYPE_SCHED_CLS", []string{"CONFIG_NET_CLS_BPF"}},
		{AttachCgroupSKB, "BPF_PROG_TYPE_CGROUP_SKB", []string{"CONFIG_CGROUP_BPF"}},
		{AttachIter, "BPF_TRACE_ITER", nil},
	} {
		if !prog[k.enum] && !att[k.enum] {
			out[k.kind] = Support{Supported: No, Reason: "the kernel's BTF has no " + k.enum, Source: FromBTF}
			continue
		}
		if cfg == nil {
			if len(k.configs) > 0 {
				out[k.kind] = Support{Supported: Unknown, Reason: "the kernel knows " + k.enum + "; no config to check " + strings.Join(k.configs, ", "), Source: FromBTF}
			} else {
				out[k.kind] = Support{Supported: Yes, Reason: "the kernel knows " + k.enum, Source: FromBTF}
			}
			continue
		}
		var missing []string
		for _, c := range k.configs {
			if !set[c] {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			out[k.kind] = Support{Supported: No, Reason: strings.Join(missing, ", ") + " not set", Source: FromConfig}
		} else {
			why := "the kernel knows " + k.enum
			if len(k.configs) > 0 {
				why += " and sets " + strings.Join(k.configs, ", ")
			}
			out[k.kind] = Support{Supported: Yes, Reason: why, Source: FromConfig + "+" + FromBTF}
		}
	}
	return out
}

// kfuncsFromBTFIDs finds kfuncs in a kernel whose BTF has no bpf_kfunc
// decl tags (before 6.5 or so): kfunc id sets are BTF_SET8s in .BTF_ids,
// a u32 count, u32 flags, then (BTF id, kfunc flags) pairs sorted by id,
// resolved at build time. A run of words of that shape whose ids are all
// BTF functions is taken for a set. It returns the kfuncs and how many
// sets it found.
func kfuncsFromBTFIDs(img *vmlinuxImage, spec *btf.Spec, d *Data) ([]Kfunc, int) {
	s := img.elf.Section(".BTF_ids")
	if s == nil {
		return nil, 0
	}
	b, ok := sectionBytes(img, s)
	if !ok {
		return nil, 0
	}
	byName := make(map[string]int, len(d.Funcs))
	for i := range d.Funcs {
		byName[d.Funcs[i].Name] = i
	}
	fn := func(id uint32) (string, bool) {
		if id == 0 {
			return "", false
		}
		t, err := spec.TypeByID(btf.TypeID(id))
		if err != nil {
			return "", false
		}
		f, ok := t.(*btf.Func)
		if !ok {
			return "", false
		}
		return f.Name, true
	}
	w := func(i int) uint32 { return binary.LittleEndian.Uint32(b[4*i:]) }
	nw := len(b) / 4
	seen := map[string]bool{}
	var out []Kfunc
	sets := 0
	for i := 0; i+3 < nw; {
		cnt := int(w(i))
		if cnt < 1 || cnt > 4096 || i+2+2*cnt > nw {
			i++
			continue
		}
		var names []string
		prev := uint32(0)
		ok := true
		for j := range cnt {
			id, flags := w(i+2+2*j), w(i+3+2*j)
			name, isFn := fn(id)
			if !isFn || id <= prev || flags >= 1<<16 {
				ok = false
				break
			}
			prev = id
			names = append(names, name)
		}
		if !ok {
			i++
			continue
		}
		sets++
		for _, n := range names {
			if seen[n] {
				continue
			}
			seen[n] = true
			if fi, ok := byName[n]; ok {
				out = append(out, Kfunc{Func: d.Funcs[fi]})
			}
		}
		i += 2 + 2*cnt
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, sets
}

// imageTracepoints builds the tracepoint list from the image: every
// event's struct trace_event_call (kallsyms event_<name>) names its class
// (event_class_<template>), whose system is the category; the fields are
// BTF's struct trace_event_raw_<template>, and syscall events' fields the
// syscall's metadata (__syscall_meta_<name>: argument types and names).
func imageTracepoints(img *vmlinuxImage, spec *btf.Spec, syms *imageSyms) ([]Tracepoint, string) {
	callClass, ok1 := memberOffset(spec, "trace_event_call", "class")
	callName, ok2 := memberOffset(spec, "trace_event_call", "name")
	classSystem, ok3 := memberOffset(spec, "trace_event_class", "system")
	if !ok1 || !ok2 || !ok3 {
		return nil, "unavailable: the BTF lacks struct trace_event_call or trace_event_class"
	}
	names := newTypeNamer(map[btf.Type]string{})
	raw := map[string]*btf.Struct{}
	for typ := range spec.All() {
		if s, ok := typ.(*btf.Struct); ok && strings.HasPrefix(s.Name, "trace_event_raw_") {
			raw[strings.TrimPrefix(s.Name, "trace_event_raw_")] = s
		}
	}
	var out []Tracepoint
	seen := map[string]bool{}
	noFields := 0
	for _, sym := range syms.syms {
		if sym.text || !strings.HasPrefix(sym.name, "event_") || strings.HasPrefix(sym.name, "event_class_") {
			continue
		}
		cls, ok := img.u64(sym.addr + callClass)
		if !ok {
			continue
		}
		template := ""
		for _, n := range syms.dataSymsAt(cls) {
			if t, ok := strings.CutPrefix(n, "event_class_"); ok {
				template = t
				break
			}
		}
		if template == "" {
			continue
		}
		sysPtr, ok := img.u64(cls + classSystem)
		if !ok {
			continue
		}
		system, ok := img.cstring(sysPtr)
		if !ok || system == "" {
			continue
		}
		tp := Tracepoint{Category: system, Name: strings.TrimPrefix(sym.name, "event_"), Source: FromImage + "+" + FromBTF}
		switch template {
		case "syscall_enter", "syscall_exit":
			namePtr, _ := img.u64(sym.addr + callName)
			if n, ok := img.cstring(namePtr); ok && n != "" {
				tp.Name = n
			}
			tp.Fields = syscallFields(img, spec, syms, tp.Name, template == "syscall_enter")
		default:
			if st := raw[template]; st != nil {
				tp.Fields = rawFields(st, names)
				tp.Struct = "trace_event_raw_" + template
			} else {
				noFields++
			}
		}
		key := tp.Category + ":" + tp.Name
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Category != out[j].Category {
			return out[i].Category < out[j].Category
		}
		return out[i].Name < out[j].Name
	})
	note := FromImage + ": each event's trace_event_call (kallsyms event_<name>) gives its class and the class its system (the category); fields from BTF struct trace_event_raw_<class>, syscall fields from __syscall_meta_<name>; __data_loc fields are recorded as char arrays (BTF does not say the element type)"
	if noFields > 0 {
		note += fmt.Sprintf("; %d events without a BTF struct have no fields", noFields)
	}
	return out, note
}

// rawFields are a trace_event_raw_ struct's members without the common
// header (ent) and the dynamic data (__data).
func rawFields(st *btf.Struct, names *typeNamer) []Field {
	out := []Field{}
	for _, m := range st.Members {
		if m.Name == "ent" || m.Name == "__data" || m.Name == "" || m.BitfieldSize != 0 {
			continue
		}
		f := Field{Name: m.Name, Type: tracefsSpelling(names.spell(m.Type)), Offset: int(m.Offset) / 8, Size: sizeOf(m.Type), Signed: signed(m.Type)}
		if n, ok := strings.CutPrefix(m.Name, "__data_loc_"); ok {
			f.Name, f.Type, f.Signed = n, "__data_loc char[]", false
		} else if n, ok := strings.CutPrefix(m.Name, "__rel_loc_"); ok {
			f.Name, f.Type, f.Signed = n, "__rel_loc char[]", false
		}
		out = append(out, f)
	}
	return out
}

// intSpellings turns BTF's names of C integer types into the spelling
// tracefs formats use, longest first.
var intSpellings = strings.NewReplacer(
	"long long unsigned int", "unsigned long long",
	"long long int", "long long",
	"long unsigned int", "unsigned long",
	"short unsigned int", "unsigned short",
	"long int", "long",
	"short int", "short",
	"_Bool", "bool",
)

// tracefsSpelling spells a type as tracefs formats do: "unsigned long"
// for BTF's "long unsigned int", "char[16]" for "char [16]".
func tracefsSpelling(t string) string {
	return strings.ReplaceAll(intSpellings.Replace(t), " [", "[")
}

// signed says whether tracefs calls a field of type t signed (an array
// is as signed as its elements).
func signed(t btf.Type) bool {
	for range 16 {
		t = skipQualifiers(t)
		switch q := t.(type) {
		case *btf.Array:
			t = q.Type
		case *btf.Typedef:
			t = q.Type
		case *btf.Int:
			return q.Encoding&btf.Signed != 0
		case *btf.Enum:
			return q.Signed
		default:
			return false
		}
	}
	return false
}

// syscallFields lays out a syscall event's record as the kernel does: the
// syscall number, then one 8-byte slot per argument (sys_enter) or the
// return value (sys_exit).
func syscallFields(img *vmlinuxImage, spec *btf.Spec, syms *imageSyms, event string, enter bool) []Field {
	out := []Field{{Name: "__syscall_nr", Type: "int", Offset: 8, Size: 4, Signed: true}}
	if !enter {
		return append(out, Field{Name: "ret", Type: "long", Offset: 16, Size: 8, Signed: true})
	}
	sc := strings.TrimPrefix(event, "sys_enter_")
	meta, ok := syms.byName["__syscall_meta__"+sc]
	if !ok {
		return nil
	}
	nbOff, ok1 := memberOffset(spec, "syscall_metadata", "nb_args")
	typesOff, ok2 := memberOffset(spec, "syscall_metadata", "types")
	argsOff, ok3 := memberOffset(spec, "syscall_metadata", "args")
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	nb, ok := img.u32(meta + nbOff)
	if !ok || nb > 6 {
		return nil
	}
	types, _ := img.u64(meta + typesOff)
	args, _ := img.u64(meta + argsOff)
	for i := range uint64(nb) {
		tp, ok1 := img.u64(types + 8*i)
		ap, ok2 := img.u64(args + 8*i)
		if !ok1 || !ok2 {
			return nil
		}
		t, ok1 := img.cstring(tp)
		a, ok2 := img.cstring(ap)
		if !ok1 || !ok2 {
			return nil
		}
		out = append(out, Field{Name: a, Type: t, Offset: 16 + 8*int(i), Size: 8})
	}
	return out
}

// memberOffset is the byte offset of a member of a struct, looking into
// anonymous members.
func memberOffset(spec *btf.Spec, structName, member string) (uint64, bool) {
	var s *btf.Struct
	if spec.TypeByName(structName, &s) != nil {
		return 0, false
	}
	var find func(ms []btf.Member, depth int) (uint64, bool)
	find = func(ms []btf.Member, depth int) (uint64, bool) {
		for _, m := range ms {
			if m.Name == member {
				return uint64(m.Offset) / 8, true
			}
		}
		if depth > 4 {
			return 0, false
		}
		for _, m := range ms {
			if m.Name != "" {
				continue
			}
			var inner []btf.Member
			switch q := skipQualifiers(m.Type).(type) {
			case *btf.Struct:
				inner = q.Members
			case *btf.Union:
				inner = q.Members
			}
			if off, ok := find(inner, depth+1); ok {
				return uint64(m.Offset)/8 + off, true
			}
		}
		return 0, false
	}
	return find(s.Members, 0)
}
