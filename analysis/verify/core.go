package verify

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
)

// coreBadRelocation is how the verifier's log shows an instruction
// cilium/ebpf poisoned because a CO-RE relocation found nothing in the
// kernel's BTF (btf.COREBadRelocationSentinel).
var coreBadRelocation = regexp.MustCompile(`unknown#195896080|0xbad2310`)

// coreRelocRe reads btf.CORERelocation's String():
// CORERelocation(byte_off, Struct:"task_struct___x"[0:1], local_id=12).
var coreRelocRe = regexp.MustCompile(`^CORERelocation\(([\w_]+), \w+:"([^"]*)"\[([\d:]*)\]`)

// coreMessage explains the failed CO-RE relocation of the instruction at
// offset insn, naming the field the program expected (also returned on
// its own, when known), or "" when the instruction carries no relocation.
func coreMessage(ps *ebpf.ProgramSpec, types *btf.Spec, insn int) (msg, field string) {
	iter := ps.Instructions.Iterate()
	var relo *btf.CORERelocation
	for iter.Next() {
		if int(iter.Offset) == insn {
			relo = btf.CORERelocationMetadata(iter.Ins)
			break
		}
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
	path := local
	if types != nil {
		if t, err := types.AnyTypeByName(local); err == nil {
			path = accessPath(local, t, accessor)
		}
	}
	if i := strings.LastIndexAny(path, ".]"); i >= 0 && path[i] == '.' {
		field = path[i+1:]
	}
	switch {
	case strings.HasPrefix(kind, "byte_") || strings.HasPrefix(kind, "field_") || strings.HasPrefix(kind, "signed") || strings.HasPrefix(kind, "lshift") || strings.HasPrefix(kind, "rshift"):
		return fmt.Sprintf("CO-RE relocation failed: %s does not exist in the target kernel's %s; check it with bpf_core_field_exists() first", path, kernelName), field
	case strings.HasPrefix(kind, "enumval"):
		return fmt.Sprintf("CO-RE relocation failed: enum value %s does not exist in the target kernel; check it with bpf_core_enum_value_exists() first", path), path
	}
	return fmt.Sprintf("CO-RE relocation failed: type %s does not match the target kernel's %s", local, kernelName), ""
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
