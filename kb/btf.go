package kb

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cilium/ebpf/btf"
)

// fromBTF fills d with what BTF alone says: kernel functions, kfuncs, raw
// tracepoints, helper names and ids (enum bpf_func_id), and named types.
func fromBTF(d *Data, spec *btf.Spec) error {
	anon := map[btf.Type]string{}
	names := newTypeNamer(anon)
	intern := map[string]string{}
	in := func(s string) string {
		if v, ok := intern[s]; ok {
			return v
		}
		intern[s] = s
		return s
	}
	var helperEnum *btf.Enum
	for typ, err := range spec.All() {
		if err != nil {
			return fmt.Errorf("reading BTF: %w", err)
		}
		switch t := typ.(type) {
		case *btf.Func:
			proto, ok := t.Type.(*btf.FuncProto)
			if !ok {
				continue
			}
			f := funcFromProto(t.Name, proto, names, in)
			d.Funcs = append(d.Funcs, f)
			if slices.Contains(t.Tags, "bpf_kfunc") {
				var flags []string
				for _, tag := range t.Tags {
					if tag != "bpf_kfunc" {
						flags = append(flags, tag)
					}
				}
				d.Kfuncs = append(d.Kfuncs, Kfunc{Func: f, Flags: flags})
			}
		case *btf.Typedef:
			if rest, ok := strings.CutPrefix(t.Name, "btf_trace_"); ok {
				d.RawTracepoints = append(d.RawTracepoints, rest)
			}
			ref, _ := refOf(t.Type, anon)
			d.Types = append(d.Types, Type{Kind: "typedef", Name: t.Name, Target: in(names.spell(t.Type)), Ref: ref, Size: sizeOf(t)})
		case *btf.Struct:
			d.Types = append(d.Types, composite("struct", t.Name, t.Size, t.Members, typ, anon, names, in))
		case *btf.Union:
			d.Types = append(d.Types, composite("union", t.Name, t.Size, t.Members, typ, anon, names, in))
		case *btf.Enum:
			if t.Name == "bpf_func_id" {
				helperEnum = t
			}
			if t.Name == "" {
				continue
			}
			et := Type{Kind: "enum", Name: t.Name, Size: int(t.Size)}
			for _, v := range t.Values {
				et.Members = append(et.Members, Member{Name: v.Name, Type: "const", Offset: int(v.Value)})
			}
			d.Types = append(d.Types, et)
		}
	}
	if helperEnum != nil {
		for _, v := range helperEnum.Values {
			name, ok := strings.CutPrefix(v.Name, "BPF_FUNC_")
			if !ok || name == "unspec" || strings.HasPrefix(name, "_") {
				continue
			}
			d.Helpers = append(d.Helpers, Helper{Name: "bpf_" + name, ID: int(v.Value), Source: FromBTF})
		}
	}
	slices.Sort(d.RawTracepoints)
	d.RawTracepoints = slices.Compact(d.RawTracepoints)
	return nil
}

func composite(kind, name string, size uint32, members []btf.Member, self btf.Type, anon map[btf.Type]string, names *typeNamer, in func(string) string) Type {
	if name == "" {
		name = names.anonName(self)
	}
	t := Type{Kind: kind, Name: name, Size: int(size), Members: make([]Member, 0, len(members))}
	for _, m := range members {
		ref, refKind := refOf(m.Type, anon)
		t.Members = append(t.Members, Member{
			Name:    m.Name,
			Type:    in(names.spell(m.Type)),
			Ref:     ref,
			RefKind: refKind,
			Pointer: isPointer(m.Type),
			Offset:  int(m.Offset),
			Bits:    int(m.BitfieldSize),
		})
	}
	return t
}

func funcFromProto(name string, proto *btf.FuncProto, names *typeNamer, in func(string) string) Func {
	f := Func{Name: name, Return: in(names.spell(proto.Return))}
	for i, p := range proto.Params {
		if _, void := p.Type.(*btf.Void); void && i == len(proto.Params)-1 {
			f.Variadic = true
			continue
		}
		ref, _ := refOf(p.Type, names.anon)
		f.Params = append(f.Params, Param{Name: p.Name, Type: in(names.spell(p.Type)), Ref: ref})
	}
	return f
}

func sizeOf(t btf.Type) int {
	n, err := btf.Sizeof(t)
	if err != nil {
		return 0
	}
	return n
}

func skipQualifiers(t btf.Type) btf.Type {
	for range 16 {
		switch q := t.(type) {
		case *btf.Const:
			t = q.Type
		case *btf.Volatile:
			t = q.Type
		case *btf.Restrict:
			t = q.Type
		case *btf.TypeTag:
			t = q.Type
		default:
			return t
		}
	}
	return t
}

func isPointer(t btf.Type) bool {
	for range 16 {
		t = skipQualifiers(t)
		switch q := t.(type) {
		case *btf.Typedef:
			t = q.Type
		case *btf.Pointer:
			return true
		default:
			return false
		}
	}
	return false
}

// refOf finds the struct or union a type reaches through qualifiers,
// typedefs, pointers and arrays.
func refOf(t btf.Type, anon map[btf.Type]string) (name, kind string) {
	for range 32 {
		t = skipQualifiers(t)
		switch q := t.(type) {
		case *btf.Typedef:
			t = q.Type
		case *btf.Pointer:
			t = q.Target
		case *btf.Array:
			t = q.Type
		case *btf.Struct:
			if q.Name == "" {
				return anonKey(t, anon), "struct"
			}
			return q.Name, "struct"
		case *btf.Union:
			if q.Name == "" {
				return anonKey(t, anon), "union"
			}
			return q.Name, "union"
		case *btf.Fwd:
			if q.Kind == btf.FwdUnion {
				return q.Name, "union"
			}
			return q.Name, "struct"
		default:
			return "", ""
		}
	}
	return "", ""
}

func anonKey(t btf.Type, anon map[btf.Type]string) string {
	if n, ok := anon[t]; ok {
		return n
	}
	n := fmt.Sprintf("(anon#%d)", len(anon)+1)
	anon[t] = n
	return n
}

// typeNamer spells BTF types the way C declares them.
type typeNamer struct {
	anon map[btf.Type]string
}

func newTypeNamer(anon map[btf.Type]string) *typeNamer { return &typeNamer{anon: anon} }

func (n *typeNamer) anonName(t btf.Type) string { return anonKey(t, n.anon) }

func (n *typeNamer) spell(t btf.Type) string {
	return n.decl(t, "", 0)
}

// decl spells type t around the declarator inner ("", "*", "(*)(int)").
func (n *typeNamer) decl(t btf.Type, inner string, depth int) string {
	if depth > 24 {
		return "..."
	}
	join := func(base string) string {
		if inner == "" {
			return base
		}
		if strings.HasPrefix(inner, "*") {
			return base + " " + inner
		}
		return base + " " + inner
	}
	switch q := t.(type) {
	case nil, *btf.Void:
		return join("void")
	case *btf.Int:
		return join(q.Name)
	case *btf.Float:
		return join(q.Name)
	case *btf.Typedef:
		return join(q.Name)
	case *btf.Struct:
		if q.Name == "" {
			return join("struct " + anonKey(t, n.anon))
		}
		return join("struct " + q.Name)
	case *btf.Union:
		if q.Name == "" {
			return join("union " + anonKey(t, n.anon))
		}
		return join("union " + q.Name)
	case *btf.Enum:
		if q.Name == "" {
			return join("enum (anon)")
		}
		return join("enum " + q.Name)
	case *btf.Fwd:
		kind := "struct"
		switch q.Kind {
		case btf.FwdUnion:
			kind = "union"
		}
		return join(kind + " " + q.Name)
	case *btf.Const:
		return "const " + n.decl(q.Type, inner, depth+1)
	case *btf.Volatile:
		return "volatile " + n.decl(q.Type, inner, depth+1)
	case *btf.Restrict, *btf.TypeTag:
		return n.decl(skipQualifiers(t), inner, depth+1)
	case *btf.Pointer:
		return n.decl(q.Target, "*"+inner, depth+1)
	case *btf.Array:
		if strings.HasPrefix(inner, "*") {
			inner = "(" + inner + ")"
		}
		return n.decl(q.Type, fmt.Sprintf("%s[%d]", inner, q.Nelems), depth+1)
	case *btf.FuncProto:
		var ps []string
		for _, p := range q.Params {
			ps = append(ps, n.decl(p.Type, "", depth+1))
		}
		if strings.HasPrefix(inner, "*") {
			inner = "(" + inner + ")"
		}
		return n.decl(q.Return, inner+"("+strings.Join(ps, ", ")+")", depth+1)
	default:
		return join(t.TypeName())
	}
}
