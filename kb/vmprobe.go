package kb

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// KernelProbe is what probing a running kernel learnt by loading minimal
// programs and creating minimal maps (never attaching): helper
// availability per program type, GPL-only helpers, attach kinds, program
// types and map types. A microVM's init probes its kernel with
// ProbeRunningKernel, so that a profile built from that kernel's image
// records the facts with their source, as the host's kb records its own.
type KernelProbe struct {
	// Release is the probed kernel's uname release.
	Release string `json:"release"`
	// Helpers are the kernel's helpers (enum bpf_func_id of its BTF)
	// with what the probes found.
	Helpers []ProbedHelper `json:"helpers"`
	// ProgTypes are the program types (as in Data.ProgTypes) whose
	// minimal program loads.
	ProgTypes []string `json:"prog_types"`
	// Attach is the support of each attach kind, as a host build probes
	// it (a minimal program of the kind loads).
	Attach map[string]Support `json:"attach"`
	// MapTypes maps each map type cilium/ebpf knows (its name, e.g.
	// "UserRingbuf") to whether the kernel creates one.
	MapTypes map[string]Tri `json:"map_types"`
}

// ProbedHelper is one helper's probe results.
type ProbedHelper struct {
	Name    string         `json:"name"`
	ID      int            `json:"id"`
	GPLOnly Tri            `json:"gpl_only"`
	Allowed map[string]Tri `json:"allowed"`
}

// ProbeRunningKernel probes the kernel this process runs on, as root,
// from its own BTF (/sys/kernel/btf/vmlinux). It is what a microVM's
// init answers a probe request with; on a host, Build probes the same
// way.
func ProbeRunningKernel() (*KernelProbe, error) {
	_ = rlimit.RemoveMemlock()
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return nil, fmt.Errorf("reading the kernel's BTF: %w", err)
	}
	var u unix.Utsname
	_ = unix.Uname(&u)
	p := &KernelProbe{Release: unix.ByteSliceToString(u.Release[:]), Attach: map[string]Support{}, MapTypes: map[string]Tri{}}
	var d Data
	d.Attach = map[string]Support{}
	var e *btf.Enum
	if err := spec.TypeByName("bpf_func_id", &e); err == nil {
		for _, v := range e.Values {
			name, ok := strings.CutPrefix(v.Name, "BPF_FUNC_")
			if !ok || name == "unspec" || strings.HasPrefix(name, "_") {
				continue
			}
			d.Helpers = append(d.Helpers, Helper{Name: "bpf_" + name, ID: int(v.Value)})
		}
	}
	var fn *btf.Func
	if spec.TypeByName("bpf_fentry_test1", &fn) == nil {
		d.Funcs = []Func{{Name: "bpf_fentry_test1"}}
	}
	probeHelpers(&d, spec)
	probeAttachKinds(&d)
	for _, h := range d.Helpers {
		p.Helpers = append(p.Helpers, ProbedHelper{Name: h.Name, ID: h.ID, GPLOnly: h.GPLOnly, Allowed: h.Allowed})
	}
	p.ProgTypes = d.ProgTypes
	p.Attach = d.Attach
	for mt := ebpf.UnspecifiedMap + 1; mt <= maxMapType; mt++ {
		name := mt.String()
		if strings.HasPrefix(name, "MapType(") {
			continue
		}
		switch err := features.HaveMapType(mt); {
		case err == nil:
			p.MapTypes[name] = Yes
		case err == ebpf.ErrNotSupported || strings.Contains(err.Error(), "not supported"):
			p.MapTypes[name] = No
		}
	}
	return p, nil
}

// maxMapType is the last map type the probes ask about.
const maxMapType = ebpf.Arena

// applyProbe records a KernelProbe of the image's kernel in d, the facts
// marked as probed ("probe: ..." in Meta.Sources).
func applyProbe(d *Data, p *KernelProbe, where string) {
	byName := map[string]*ProbedHelper{}
	for i := range p.Helpers {
		byName[p.Helpers[i].Name] = &p.Helpers[i]
	}
	for i := range d.Helpers {
		h := &d.Helpers[i]
		if ph := byName[h.Name]; ph != nil {
			h.Allowed = ph.Allowed
			h.GPLOnly = ph.GPLOnly
			h.Source = FromProbe
		}
	}
	if len(p.ProgTypes) > 0 {
		d.ProgTypes = append([]string(nil), p.ProgTypes...)
	}
	if d.Attach == nil {
		d.Attach = map[string]Support{}
	}
	kinds := make([]string, 0, len(p.Attach))
	for k := range p.Attach {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		s := p.Attach[k]
		prev, had := d.Attach[k]
		switch {
		case had && prev.Supported == No && s.Supported == Yes:
			// Loads, but the config says it cannot attach.
			prev.Reason += "; its programs load (probed " + where + ")"
			d.Attach[k] = prev
		default:
			s.Reason += " (probed " + where + ")"
			s.Source = FromProbe
			d.Attach[k] = s
		}
	}
	var yes, no []string
	for name, t := range p.MapTypes {
		switch t {
		case Yes:
			yes = append(yes, name)
		case No:
			no = append(no, name)
		}
	}
	sort.Strings(yes)
	sort.Strings(no)
	d.Meta.Sources["helper_availability"] = FromProbe + ": " + where + " (" + p.Release + ")"
	d.Meta.Sources["attach"] = FromProbe + ": " + where + ", over config and BTF enums"
	d.Meta.Sources["map_types"] = fmt.Sprintf("%s: %s: created %s; refused %s", FromProbe, where, strings.Join(yes, " "), strings.Join(no, " "))
}

// Vmlinux is the kernel ELF inside a boot image (a bzImage's payload
// decompressed, as BuildImage reads it; a vmlinux as it is) and the
// image's release. A microVM boots it directly (PVH): decompressing xz
// in the guest's boot stub under TCG costs seconds on every boot.
func Vmlinux(image string) (elfBytes []byte, release string, err error) {
	b, err := ReadRegular(image, MaxImageSize)
	if err != nil {
		return nil, "", err
	}
	img, err := readVmlinux(b)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", image, err)
	}
	return img.raw, img.release, nil
}
