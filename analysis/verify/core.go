package verify

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"
)

// coreBadRelocation is how the verifier's log shows an instruction
// cilium/ebpf poisoned because a CO-RE relocation found nothing in the
// kernel's BTF (btf.COREBadRelocationSentinel).
var coreBadRelocation = regexp.MustCompile(`unknown#195896080|0xbad2310`)

// coreRelocRe reads btf.CORERelocation's String():
// CORERelocation(byte_off, Struct:"task_struct___x"[0:1], local_id=12).
var coreRelocRe = regexp.MustCompile(`^CORERelocation\(([\w_]+), \w+:"([^"]*)"\[([\d:]*)\]`)

// coreKernel is the kernel whose BTF a program was relocated against:
// its release, and its BTF (nil: this machine's).
type coreKernel struct {
	release string
	btf     func() (*btf.Spec, error)
}

// hostCoreKernel is the running kernel.
func hostCoreKernel() coreKernel {
	return coreKernel{release: kernelRelease(), btf: btf.LoadKernelSpec}
}

// coreMessage explains the failed CO-RE relocation of the instruction at
// offset insn against kernel k (the host's, or a microVM's), naming the
// field the program expected (also returned on its own, when known), or
// "" when the instruction carries no relocation.
func coreMessage(ps *ebpf.ProgramSpec, types *btf.Spec, insn int, k coreKernel) (msg, field string) {
	iter := ps.Instructions.Iterate()
	var relo *btf.CORERelocation
	for iter.Next() {
		if int(iter.Offset) == insn {
			relo = btf.CORERelocationMetadata(iter.Ins)
			break
		}
	}
	if relo == nil {
		// The log names no poisoned instruction ("frame pointer is read
		// only" after a poisoned constant load): the first relocation
		// this kernel's BTF cannot satisfy is the one.
		relo = firstPoisoned(ps, k)
	}
	if relo == nil {
		return "", ""
	}
	m := coreRelocRe.FindStringSubmatch(relo.String())
	if m == nil {
		return "CO-RE relocation failed: " + relo.String() + " has no match in the kernel's BTF", ""
	}
	kind, local, accessor := m[1], m[2], m[3]
	kernelName := local
	if i := strings.Index(local, "___"); i > 0 {
		kernelName = local[:i]
	}
	path, keyword := local, ""
	if types != nil {
		if t, err := types.AnyTypeByName(local); err == nil {
			path = accessPath(local, t, accessor)
			keyword = typeKeyword(t)
		}
	}
	if i := strings.LastIndexAny(path, ".]"); i >= 0 && path[i] == '.' {
		field = path[i+1:]
	}
	if strings.HasPrefix(kind, "enumval") && types != nil {
		// An enum value's accessor is the value's index.
		if t, err := types.AnyTypeByName(local); err == nil {
			if e, ok := btf.UnderlyingType(t).(*btf.Enum); ok {
				if n, err := strconv.Atoi(accessor); err == nil && n < len(e.Values) {
					path = local + "::" + e.Values[n].Name
					field = e.Values[n].Name
				}
			}
		}
	}
	// libbpf's words: "failed to resolve CO-RE relocation <byte_off>
	// [12] struct task_struct___old.state (0:1 @ offset 8)".
	libbpf := fmt.Sprintf("libbpf: failed to resolve CO-RE relocation <%s> %s%s (%s)", kind, keyword, path, accessor)
	kernel := "kernel " + k.release
	switch {
	case strings.HasPrefix(kind, "byte_") || strings.HasPrefix(kind, "field_") || strings.HasPrefix(kind, "signed") || strings.HasPrefix(kind, "lshift") || strings.HasPrefix(kind, "rshift"):
		what := path
		if field != "" {
			what = fmt.Sprintf("%s%s has no field %s", keyword, kernelName, field)
			if i := strings.LastIndexByte(path, '.'); i > 0 && strings.ContainsAny(path[len(local):i], ".[") {
				what = fmt.Sprintf("%s%s has no %s", keyword, kernelName, path[len(local)+1:])
			}
		}
		return fmt.Sprintf("CO-RE relocation failed: %s%s does not relocate: %s's %s of a compatible type; check it with bpf_core_field_exists() first (%s)", keyword, path, kernel, what, libbpf), field
	case strings.HasPrefix(kind, "enumval"):
		return fmt.Sprintf("CO-RE relocation failed: enum value %s%s does not exist in %s; check it with bpf_core_enum_value_exists() first (%s)", keyword, path, kernel, libbpf), field
	}
	return fmt.Sprintf("CO-RE relocation failed: type %s%s does not match %s's %s (%s)", keyword, local, kernel, kernelName, libbpf), ""
}

// typeKeyword is "struct ", "union " or "enum " for such types, as C
// spells their names.
func typeKeyword(t btf.Type) string {
	switch t.(type) {
	case *btf.Struct:
		return "struct "
	case *btf.Union:
		return "union "
	case *btf.Enum:
		return "enum "
	}
	return ""
}

// kernelRelease is the running kernel's release (uname -r).
func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "(unknown)"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// accessPath spells a CO-RE accessor ("0:1:3") on t as C: the first index
// steps over the base pointer, the others pick members or array elements.
func accessPath(name string, t btf.Type, accessor string) string {
	parts := strings.Split(accessor, ":")
	out := name
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return out
		}
		if i == 0 {
			if n != 0 {
				out += fmt.Sprintf("[%d]", n)
			}
			continue
		}
		t = btf.UnderlyingType(t)
		switch c := t.(type) {
		case *btf.Struct:
			if n >= len(c.Members) {
				return out
			}
			out += "." + c.Members[n].Name
			t = c.Members[n].Type
		case *btf.Union:
			if n >= len(c.Members) {
				return out
			}
			out += "." + c.Members[n].Name
			t = c.Members[n].Type
		case *btf.Array:
			out += fmt.Sprintf("[%d]", n)
			t = c.Type
		case *btf.Enum:
			if n < len(c.Values) {
				return c.Values[n].Name
			}
			return out
		default:
			return out
		}
	}
	return out
}

// firstPoisoned is the program's first CO-RE relocation (in instruction
// order) that has no match in kernel k's BTF, or nil.
func firstPoisoned(ps *ebpf.ProgramSpec, k coreKernel) *btf.CORERelocation {
	kernel, err := k.btf()
	if err != nil {
		return nil
	}
	var relos []*btf.CORERelocation
	iter := ps.Instructions.Iterate()
	for iter.Next() {
		if r := btf.CORERelocationMetadata(iter.Ins); r != nil {
			relos = append(relos, r)
		}
	}
	if len(relos) == 0 {
		return nil
	}
	fixups, err := btf.CORERelocate(relos, []*btf.Spec{kernel}, ps.ByteOrder, func(btf.Type) (btf.TypeID, error) { return 0, nil })
	if err != nil {
		return nil
	}
	for i, f := range fixups {
		if strings.HasSuffix(f.String(), "=poison") {
			return relos[i]
		}
	}
	return nil
}
