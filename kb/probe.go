package kb

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/rlimit"
)

// progType is a program type the kb probes helper availability for. The
// names are the ones SEC() definitions and checks use.
type progType struct {
	name     string
	typ      ebpf.ProgramType
	attach   ebpf.AttachType
	attachTo string
}

var probedProgTypes = []progType{
	{name: "socket_filter", typ: ebpf.SocketFilter},
	{name: "kprobe", typ: ebpf.Kprobe},
	{name: "sched_cls", typ: ebpf.SchedCLS},
	{name: "sched_act", typ: ebpf.SchedACT},
	{name: "tracepoint", typ: ebpf.TracePoint},
	{name: "xdp", typ: ebpf.XDP},
	{name: "perf_event", typ: ebpf.PerfEvent},
	{name: "cgroup_skb", typ: ebpf.CGroupSKB},
	{name: "cgroup_sock", typ: ebpf.CGroupSock},
	{name: "lwt_in", typ: ebpf.LWTIn},
	{name: "lwt_out", typ: ebpf.LWTOut},
	{name: "lwt_xmit", typ: ebpf.LWTXmit},
	{name: "sock_ops", typ: ebpf.SockOps},
	{name: "sk_skb", typ: ebpf.SkSKB},
	{name: "cgroup_device", typ: ebpf.CGroupDevice},
	{name: "sk_msg", typ: ebpf.SkMsg},
	{name: "raw_tracepoint", typ: ebpf.RawTracepoint},
	{name: "cgroup_sock_addr", typ: ebpf.CGroupSockAddr, attach: ebpf.AttachCGroupInet4Connect},
	{name: "cgroup_sysctl", typ: ebpf.CGroupSysctl},
	{name: "cgroup_sockopt", typ: ebpf.CGroupSockopt, attach: ebpf.AttachCGroupGetsockopt},
	{name: "flow_dissector", typ: ebpf.FlowDissector},
	{name: "sk_lookup", typ: ebpf.SkLookup, attach: ebpf.AttachSkLookup},
	{name: "tracing", typ: ebpf.Tracing, attach: ebpf.AttachTraceRawTp, attachTo: "sched_switch"},
	{name: "lsm", typ: ebpf.LSM, attach: ebpf.AttachLSMMac, attachTo: "file_open"},
	{name: "syscall", typ: ebpf.Syscall},
	{name: "netfilter", typ: ebpf.Netfilter, attach: ebpf.AttachNetfilter},
}

// ProgTypeNames lists the program type names the kb knows.
func ProgTypeNames() []string {
	out := make([]string, len(probedProgTypes))
	for i, p := range probedProgTypes {
		out[i] = p.name
	}
	return out
}

var memlockOnce sync.Once

// probePrivileged loads a trivial socket filter to learn whether this
// process may load BPF programs at all.
func probePrivileged() (bool, string) {
	memlockOnce.Do(func() { _ = rlimit.RemoveMemlock() })
	_, err := loadProbe(progType{name: "socket_filter", typ: ebpf.SocketFilter}, nil, "GPL")
	if err == nil {
		return true, ""
	}
	if errors.Is(err, os.ErrPermission) {
		return false, "not privileged to load BPF programs (run as root or with CAP_BPF)"
	}
	return false, "cannot load BPF programs: " + err.Error()
}

// loadProbe loads a minimal program of type pt, optionally calling helper
// id, and closes it at once. It never attaches.
func loadProbe(pt progType, helper *int, license string) (string, error) {
	insns := asm.Instructions{}
	if helper != nil {
		insns = append(insns, asm.BuiltinFunc(*helper).Call())
	}
	insns = append(insns, asm.Mov.Imm(asm.R0, 0), asm.Return())
	spec := &ebpf.ProgramSpec{
		Name:         "kgent_probe",
		Type:         pt.typ,
		AttachType:   pt.attach,
		AttachTo:     pt.attachTo,
		Instructions: insns,
		License:      license,
	}
	prog, err := ebpf.NewProgramWithOptions(spec, ebpf.ProgramOptions{LogLevel: ebpf.LogLevelBranch, LogSizeStart: 4096})
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return strings.Join(ve.Log, "\n"), err
		}
		return "", err
	}
	prog.Close()
	return "", nil
}

// probeHelpers learns, per program type, which helpers the target lets it
// call and which helpers are GPL-only, by loading a call to each helper
// from a non-GPL program.
func probeHelpers(d *Data, spec *btf.Spec) {
	type result struct {
		allowed map[int]Tri
		gpl     map[int]bool
		ok      bool
	}
	results := make([]result, len(probedProgTypes))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, pt := range probedProgTypes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			btfID := uint32(0)
			if pt.attachTo != "" {
				btfID = attachBTFID(spec, pt)
				if btfID == 0 {
					return
				}
			}
			logBuf := make([]byte, 64<<10)
			if _, err := rawProbe(uint32(pt.typ), uint32(pt.attach), btfID, -1, "Proprietary", logBuf); err != nil {
				return // the type itself does not load here: unknown
			}
			r := result{allowed: map[int]Tri{}, gpl: map[int]bool{}, ok: true}
			for _, h := range d.Helpers {
				id := h.ID
				log, err := rawProbe(uint32(pt.typ), uint32(pt.attach), btfID, id, "Proprietary", logBuf)
				switch {
				case err == nil:
					r.allowed[id] = Yes
				case strings.Contains(log, "invalid func") || strings.Contains(log, "unknown func"):
					r.allowed[id] = No
				case strings.Contains(log, "cannot use helper") || strings.Contains(log, "not supported for program type"):
					r.allowed[id] = No
				case strings.Contains(log, "GPL"):
					r.allowed[id] = Yes
					r.gpl[id] = true
				case log != "":
					r.allowed[id] = Yes // passed the prototype and license checks
				}
			}
			results[i] = r
		}()
	}
	wg.Wait()
	for hi := range d.Helpers {
		h := &d.Helpers[hi]
		h.Allowed = map[string]Tri{}
		gplSeen := false
		for i, pt := range probedProgTypes {
			r := results[i]
			if !r.ok {
				continue
			}
			h.Allowed[pt.name] = r.allowed[h.ID]
			if r.allowed[h.ID] == Yes {
				gplSeen = true
				if r.gpl[h.ID] {
					h.GPLOnly = Yes
				}
			}
		}
		if gplSeen && h.GPLOnly != Yes {
			h.GPLOnly = No
		}
		h.Source = FromProbe
	}
	for i, pt := range probedProgTypes {
		if results[i].ok {
			d.ProgTypes = append(d.ProgTypes, pt.name)
		}
	}
}

// attachBTFID finds the BTF id a traced program type attaches to, as the
// kernel names it: btf_trace_<tp> for tp_btf, bpf_lsm_<hook> for lsm.
func attachBTFID(spec *btf.Spec, pt progType) uint32 {
	if spec == nil {
		return 0
	}
	name := pt.attachTo
	var target btf.Type
	switch pt.attach {
	case ebpf.AttachTraceRawTp:
		var td *btf.Typedef
		if err := spec.TypeByName("btf_trace_"+name, &td); err != nil {
			return 0
		}
		target = td
	case ebpf.AttachLSMMac:
		var fn *btf.Func
		if err := spec.TypeByName("bpf_lsm_"+name, &fn); err != nil {
			return 0
		}
		target = fn
	default:
		var fn *btf.Func
		if err := spec.TypeByName(name, &fn); err != nil {
			return 0
		}
		target = fn
	}
	id, err := spec.TypeID(target)
	if err != nil {
		return 0
	}
	return uint32(id)
}

// probeAttachKinds loads a minimal program of each attach kind. A kind
// whose program the kernel refuses to load is unsupported; kprobes and
// uprobes additionally need their PMU (sysfsAttachSupport).
func probeAttachKinds(d *Data) {
	fentryTarget := "bpf_fentry_test1"
	if _, ok := findFunc(d, fentryTarget); !ok && len(d.Funcs) > 0 {
		fentryTarget = d.Funcs[0].Name
	}
	kinds := []struct {
		kind string
		pt   progType
	}{
		{AttachTracepoint, progType{name: "tracepoint", typ: ebpf.TracePoint}},
		{AttachRawTP, progType{name: "raw_tracepoint", typ: ebpf.RawTracepoint}},
		{AttachTpBTF, progType{name: "tracing", typ: ebpf.Tracing, attach: ebpf.AttachTraceRawTp, attachTo: "sched_switch"}},
		{AttachFentry, progType{name: "tracing", typ: ebpf.Tracing, attach: ebpf.AttachTraceFEntry, attachTo: fentryTarget}},
		{AttachFexit, progType{name: "tracing", typ: ebpf.Tracing, attach: ebpf.AttachTraceFExit, attachTo: fentryTarget}},
		{AttachLSM, progType{name: "lsm", typ: ebpf.LSM, attach: ebpf.AttachLSMMac, attachTo: "file_open"}},
		{AttachIter, progType{name: "tracing", typ: ebpf.Tracing, attach: ebpf.AttachTraceIter, attachTo: "task"}},
		{AttachPerfEvent, progType{name: "perf_event", typ: ebpf.PerfEvent}},
		{AttachXDP, progType{name: "xdp", typ: ebpf.XDP}},
		{AttachTC, progType{name: "sched_cls", typ: ebpf.SchedCLS}},
		{AttachCgroupSKB, progType{name: "cgroup_skb", typ: ebpf.CGroupSKB}},
		{AttachKprobe, progType{name: "kprobe", typ: ebpf.Kprobe}},
		{AttachUprobe, progType{name: "kprobe", typ: ebpf.Kprobe}},
	}
	for _, k := range kinds {
		_, err := loadProbe(k.pt, nil, "GPL")
		prev, hadPrev := d.Attach[k.kind]
		switch {
		case err == nil && hadPrev && prev.Supported == No:
			prev.Reason += "; its programs load but cannot attach"
			d.Attach[k.kind] = prev
		case err == nil:
			d.Attach[k.kind] = Support{Supported: Yes, Reason: "a minimal " + k.kind + " program loads", Source: FromProbe}
		case errors.Is(err, os.ErrPermission):
			d.Attach[k.kind] = Support{Supported: No, Reason: fmt.Sprintf("the kernel refuses to load %s programs (EPERM, even as root)", k.kind), Source: FromProbe}
		default:
			d.Attach[k.kind] = Support{Supported: No, Reason: fmt.Sprintf("a minimal %s program does not load: %v", k.kind, firstLine(err.Error())), Source: FromProbe}
		}
	}
}

func findFunc(d *Data, name string) (*Func, bool) {
	for i := range d.Funcs {
		if d.Funcs[i].Name == name {
			return &d.Funcs[i], true
		}
	}
	return nil, false
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
