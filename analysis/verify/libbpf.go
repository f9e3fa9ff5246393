package verify

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/features"
	"golang.org/x/sys/unix"
)

// Users load their objects with libbpf (their own loader, a skeleton,
// bpftool); kgent loads them with cilium/ebpf. This file makes the object
// cilium/ebpf loads what libbpf would hand the kernel, where the two
// differ:
//
//   - weak map definitions (libbpf's <bpf/usdt.bpf.h> declares its maps
//     __weak) are ordinary maps in a single object;
//   - .kconfig externs are resolved as libbpf resolves them: the virtual
//     LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE and
//     LINUX_HAS_SYSCALL_WRAPPER, CONFIG_* from the kernel's config, a
//     __weak one that has no value is zero, a strong one is an error;
//   - a ring buffer's max_entries is rounded up to a power-of-2 multiple
//     of the page size (libbpf's adjust_ringbuf_sz).
//
// cilium/ebpf fills a perf event array's max_entries with the number of
// CPUs when it is 0, as libbpf does.

// objectInfo is what the ELF file says that cilium/ebpf's spec does not.
type objectInfo struct {
	// weakKconfig are the .kconfig externs declared __weak.
	weakKconfig map[string]bool
	// hiddenFuncs are the functions of hidden visibility (__hidden),
	// which libbpf verifies as static functions, in their callers'
	// context, though they are global in BTF.
	hiddenFuncs map[string]bool
}

// libbpfObject reads the object file and returns it with the symbol
// bindings cilium/ebpf refuses (weak maps, weak .kconfig externs) made
// global, and what it learnt.
func libbpfObject(data []byte) ([]byte, objectInfo, error) {
	info := objectInfo{weakKconfig: map[string]bool{}, hiddenFuncs: map[string]bool{}}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, info, err
	}
	defer f.Close()
	symtab := f.SectionByType(elf.SHT_SYMTAB)
	if symtab == nil || f.Class != elf.ELFCLASS64 {
		return data, info, nil
	}
	syms, err := f.Symbols()
	if err != nil {
		return data, info, nil
	}
	var kconfig map[string]bool
	if f.Section(".BTF") != nil {
		if spec, err := btf.LoadSpecFromReader(bytes.NewReader(data)); err == nil {
			var ds *btf.Datasec
			if spec.TypeByName(".kconfig", &ds) == nil {
				kconfig = map[string]bool{}
				for _, v := range ds.Vars {
					kconfig[v.Type.TypeName()] = true
				}
			}
		}
	}
	out := data
	for i, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && elf.ST_BIND(s.Info) != elf.STB_LOCAL && elf.ST_VISIBILITY(s.Other) == elf.STV_HIDDEN {
			info.hiddenFuncs[s.Name] = true
		}
		if elf.ST_BIND(s.Info) != elf.STB_WEAK {
			continue
		}
		flip := false
		switch {
		case s.Section == elf.SHN_UNDEF && kconfig[s.Name]:
			info.weakKconfig[s.Name] = true
			flip = true
		case s.Section != elf.SHN_UNDEF && int(s.Section) < len(f.Sections) && f.Sections[s.Section].Name == ".maps":
			flip = true
		}
		if !flip {
			continue
		}
		// Symbols() leaves out the null symbol: symbol i is entry i+1,
		// whose st_info is byte 4 of its 24.
		off := symtab.Offset + uint64(i+1)*24 + 4
		if off >= uint64(len(out)) {
			return nil, info, errors.New("symbol table outside the file")
		}
		if &out[0] == &data[0] {
			out = bytes.Clone(data)
		}
		out[off] = byte(elf.STB_GLOBAL)<<4 | out[off]&0xf
	}
	return out, info, nil
}

// libbpfFuncs makes hidden global functions static in the programs' BTF,
// as libbpf does: the verifier then checks them in each caller's context
// rather than on their own with unknown arguments.
func libbpfFuncs(spec *ebpf.CollectionSpec, info objectInfo) {
	if len(info.hiddenFuncs) == 0 {
		return
	}
	for _, ps := range spec.Programs {
		for i := range ps.Instructions {
			ins := &ps.Instructions[i]
			fn := btf.FuncMetadata(ins)
			if fn == nil || fn.Linkage != btf.GlobalFunc || !info.hiddenFuncs[fn.Name] {
				continue
			}
			static := *fn
			static.Linkage = btf.StaticFunc
			*ins = btf.WithFuncMetadata(*ins, &static)
		}
	}
}

// mapError is a map libbpf cannot create, and why.
type mapError struct{ name, why string }

// libbpfMaps adjusts map specs as libbpf does before creating the maps,
// and returns the maps libbpf would create as written and the kernel
// refuse, where cilium/ebpf fills in what is missing.
func libbpfMaps(spec *ebpf.CollectionSpec) []mapError {
	page := uint32(os.Getpagesize())
	var errs []mapError
	for name, m := range spec.Maps {
		switch m.Type {
		case ebpf.RingBuf, ebpf.UserRingbuf:
			m.MaxEntries = ringbufSize(m.MaxEntries, page)
		case ebpf.PerfEventArray:
			// libbpf sets max_entries (when 0) to the number of CPUs,
			// not the key and value sizes.
			if m.KeySize == 0 || m.ValueSize == 0 {
				errs = append(errs, mapError{name, "a perf event array needs __uint(key_size, sizeof(u32)) and __uint(value_size, sizeof(u32)): libbpf creates it without and the kernel refuses it (invalid argument)"})
			}
		case ebpf.CPUMap:
			if m.MaxEntries == 0 {
				errs = append(errs, mapError{name, "a CPU map needs max_entries: libbpf creates it with 0 and the kernel refuses it (invalid argument)"})
			}
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].name < errs[j].name })
	return errs
}

// ringbufSize is libbpf's adjust_ringbuf_sz: a size that is not a
// power-of-2 multiple of the page size becomes the smallest one above it
// (0 stays 0, and the kernel refuses it).
func ringbufSize(sz, page uint32) uint32 {
	if sz == 0 || sz%page == 0 && bits.OnesCount32(sz/page) == 1 {
		return sz
	}
	for mul := uint64(1); mul*uint64(page) <= 0xffffffff; mul <<= 1 {
		if mul*uint64(page) > uint64(sz) {
			return uint32(mul * uint64(page))
		}
	}
	return sz
}

// kconfigOffset is the offset in .kconfig that an instruction cilium/ebpf
// marked as reading a __kconfig extern reads, or false. cilium/ebpf keeps
// it in unexported instruction metadata (a *kconfigMeta with an Offset)
// and resolves only the externs it knows, failing on the others
// (LINUX_HAS_BPF_COOKIE): kgent reads the offset and resolves them all as
// libbpf does. TestUSDTLoads fails if cilium/ebpf changes this.
func kconfigOffset(ins *asm.Instruction) (uint32, bool) {
	e := reflect.ValueOf(&ins.Metadata).Elem().Field(0)
	for e.Kind() == reflect.Pointer && !e.IsNil() {
		el := e.Elem()
		v := el.FieldByName("value")
		if v.Kind() == reflect.Interface && !v.IsNil() {
			p := v.Elem()
			if p.Kind() == reflect.Pointer && p.Type().String() == "*ebpf.kconfigMeta" && !p.IsNil() {
				if off := p.Elem().FieldByName("Offset"); off.IsValid() && off.CanUint() {
					return uint32(off.Uint()), true
				}
			}
		}
		e = el.FieldByName("next")
	}
	return 0, false
}

// kconfigMapName is the map the resolved .kconfig becomes; cilium/ebpf
// freezes a map of this name after filling it, as libbpf does.
const kconfigMapName = ".kconfig"

// libbpfKconfig resolves the object's .kconfig externs as libbpf would
// and points the instructions reading them at a read-only map holding the
// values. It returns what libbpf would refuse (a strong extern with no
// value, a value of the wrong kind), naming the extern.
func libbpfKconfig(spec *ebpf.CollectionSpec, info objectInfo) error {
	var ds *btf.Datasec
	if spec.Types == nil || spec.Types.TypeByName(".kconfig", &ds) != nil {
		return nil
	}
	data := make([]byte, ds.Size)
	var config map[string]string
	for _, vsi := range ds.Vars {
		v, ok := vsi.Type.(*btf.Var)
		if !ok {
			continue
		}
		name := v.Name
		var value string
		set := true
		switch {
		case name == "LINUX_KERNEL_VERSION":
			value = strconv.FormatUint(uint64(kernelVersionCode()), 10)
		case name == "LINUX_HAS_BPF_COOKIE":
			value = boolValue(features.HaveProgramHelper(ebpf.Kprobe, asm.FnGetAttachCookie) == nil)
		case name == "LINUX_HAS_SYSCALL_WRAPPER":
			value = boolValue(haveSyscallWrapper())
		case strings.HasPrefix(name, "CONFIG_"):
			if config == nil {
				c, err := kernelConfig()
				if err != nil {
					return fmt.Errorf("extern (kcfg) %s: %v", name, err)
				}
				config = c
			}
			value, set = config[name]
		default:
			if !info.weakKconfig[name] {
				return fmt.Errorf("extern (kcfg) '%s': unrecognized virtual extern", name)
			}
			set = false
		}
		if !set {
			if !info.weakKconfig[name] {
				return fmt.Errorf("extern '%s' (strong): not resolved (the kernel's config has no value for it; declare it __weak to read 0 instead)", name)
			}
			continue
		}
		if vsi.Offset+vsi.Size > uint32(len(data)) {
			return fmt.Errorf("extern (kcfg) '%s': outside .kconfig", name)
		}
		if err := putKconfig(data[vsi.Offset:vsi.Offset+vsi.Size], v.Type, value); err != nil {
			return fmt.Errorf("extern (kcfg) '%s': %v", name, err)
		}
	}
	m := &ebpf.MapSpec{
		Name:       kconfigMapName,
		Type:       ebpf.Array,
		KeySize:    4,
		ValueSize:  ds.Size,
		MaxEntries: 1,
		Flags:      unix.BPF_F_RDONLY_PROG,
		Key:        &btf.Int{Size: 4},
		Value:      ds,
		Contents:   []ebpf.MapKV{{Key: uint32(0), Value: data}},
	}
	used := false
	for _, ps := range spec.Programs {
		for i := range ps.Instructions {
			ins := &ps.Instructions[i]
			off, ok := kconfigOffset(ins)
			if !ok {
				continue
			}
			n := asm.Instruction{OpCode: ins.OpCode, Dst: ins.Dst, Src: asm.PseudoMapValue, Constant: int64(uint64(off) << 32)}
			n = n.WithSource(ins.Source()).WithReference(kconfigMapName)
			if sym := ins.Symbol(); sym != "" {
				n = n.WithSymbol(sym)
			}
			if fn := btf.FuncMetadata(ins); fn != nil {
				n = btf.WithFuncMetadata(n, fn)
			}
			*ins = n
			used = true
		}
	}
	if used {
		spec.Maps[kconfigMapName] = m
	}
	return nil
}

func boolValue(b bool) string {
	if b {
		return "y"
	}
	return "n"
}

// kernelVersionCode is KERNEL_VERSION(major, minor, patch) of the running
// kernel, the patch level capped at 255, as libbpf computes it.
func kernelVersionCode() uint32 {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return 0
	}
	rel := unix.ByteSliceToString(u.Release[:])
	var a, b, c uint32
	fmt.Sscanf(rel, "%d.%d.%d", &a, &b, &c)
	return a<<16 | b<<8 | min(c, 255)
}

// haveSyscallWrapper reports whether system calls enter through
// arch-prefixed wrappers (__x64_sys_bpf), as libbpf probes it.
var haveSyscallWrapper = sync.OnceValue(func() bool {
	pfx := map[string]string{"amd64": "__x64_", "386": "__ia32_", "arm64": "__arm64_", "s390x": "__s390x_", "riscv64": "__riscv_"}[runtime.GOARCH]
	if pfx == "" {
		return false
	}
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return false
	}
	defer f.Close()
	want := " " + pfx + "sys_bpf"
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasSuffix(l, want) || strings.Contains(l, want+"\t") {
			return true
		}
	}
	return false
})

// kernelConfig reads the running kernel's configuration where libbpf
// looks: /boot/config-$(uname -r), else /proc/config.gz.
func kernelConfig() (map[string]string, error) {
	var u unix.Utsname
	_ = unix.Uname(&u)
	var r io.Reader
	if f, err := os.Open("/boot/config-" + unix.ByteSliceToString(u.Release[:])); err == nil {
		defer f.Close()
		r = f
	} else if f, err := os.Open("/proc/config.gz"); err == nil {
		defer f.Close()
		z, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("cannot read /proc/config.gz: %v", err)
		}
		r = z
	} else {
		return nil, errors.New("failed to open system Kconfig (no /boot/config-<release> or /proc/config.gz)")
	}
	c := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "CONFIG_") {
			continue
		}
		if k, v, ok := strings.Cut(l, "="); ok {
			c[k] = v
		}
	}
	return c, sc.Err()
}

// putKconfig writes a config value into an extern of type t as libbpf
// does: y/n/m into bool, char and enum libbpf_tristate; numbers into
// integers; quoted strings into char arrays.
func putKconfig(dst []byte, t btf.Type, value string) error {
	t = btf.UnderlyingType(t)
	if len(value) == 1 && strings.Contains("ynm", value) {
		var n uint64
		switch value {
		case "y":
			n = 1
		case "m":
			n = 2
		}
		switch t := t.(type) {
		case *btf.Int:
			switch {
			case t.Encoding == btf.Bool:
				if value == "m" {
					return errors.New("value 'm' implies tristate or char type")
				}
			case t.Encoding == btf.Char || t.Size == 1 && t.Encoding != btf.Signed:
				n = uint64(value[0])
			default:
				return fmt.Errorf("value '%s' implies tristate or char type", value)
			}
			dst[0] = byte(n)
			return nil
		case *btf.Enum:
			if t.Name != "libbpf_tristate" {
				return fmt.Errorf("value '%s' implies tristate or char type", value)
			}
			putUint(dst, n)
			return nil
		}
		return fmt.Errorf("value '%s' implies tristate or char type", value)
	}
	if strings.HasPrefix(value, `"`) {
		a, ok := t.(*btf.Array)
		if !ok {
			return errors.New("value is a string, the extern is not a char array")
		}
		s := strings.TrimSuffix(strings.TrimPrefix(value, `"`), `"`)
		n := min(len(s), int(a.Nelems)-1, len(dst)-1)
		copy(dst, s[:max(n, 0)])
		return nil
	}
	it, ok := t.(*btf.Int)
	if !ok {
		return fmt.Errorf("value '%s' is a number, the extern is not an integer", value)
	}
	var n uint64
	var err error
	if it.Encoding == btf.Signed {
		var s int64
		s, err = strconv.ParseInt(value, 0, 64)
		n = uint64(s)
	} else {
		n, err = strconv.ParseUint(value, 0, 64)
	}
	if err != nil {
		return fmt.Errorf("cannot parse value '%s'", value)
	}
	putUint(dst, n)
	return nil
}

// putUint stores n in dst's size, in the machine's byte order.
func putUint(dst []byte, n uint64) {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], n)
	if binary.NativeEndian.Uint16([]byte{0, 1}) == 1 {
		copy(dst, b[8-len(dst):])
	} else {
		copy(dst, b[:len(dst)])
	}
}
