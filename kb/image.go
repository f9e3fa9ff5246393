package kb

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// A kernel image is read without the machine it runs on: a bzImage
// (vmlinuz) is parsed, its compressed payload found and decompressed into
// the vmlinux ELF it holds, and the ELF's sections (.BTF, .BTF_ids, the
// kallsyms tables in .rodata, .data) are read in place. Distribution
// images are stripped (no symbol table): nothing here needs one.

// MaxImageSize bounds a kernel image file and MaxVmlinuxSize what its
// payload may decompress to.
const (
	MaxImageSize   = 256 << 20
	MaxVmlinuxSize = 1 << 30
)

// vmlinuxImage is a decompressed kernel.
type vmlinuxImage struct {
	raw         []byte // the ELF (and whatever followed it in the payload)
	elf         *elf.File
	release     string // "6.1.0-50-amd64"
	banner      string // "Linux version 6.1.0-50-amd64 (...) #1 SMP ... Debian 6.1.176-1 ..."
	compression string // "xz", "zstd", "gzip", or "none" for a vmlinux
}

// compression magics, tried at the payload's start (or searched for when
// the setup header does not say where the payload is).
var payloadMagics = []struct {
	name  string
	magic []byte
}{
	{"xz", xzMagic},
	{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd}},
	{"gzip", []byte{0x1f, 0x8b, 0x08}},
	{"lz4", []byte{0x02, 0x21, 0x4c, 0x18}},
	{"bzip2", []byte("BZh")},
	{"lzo", []byte{0x89, 'L', 'Z', 'O', 0x00}},
	{"lzma", []byte{0x5d, 0x00, 0x00}},
}

// readVmlinux turns the bytes of a kernel image (a bzImage or a vmlinux
// ELF) into its vmlinux.
func readVmlinux(b []byte) (*vmlinuxImage, error) {
	img := &vmlinuxImage{}
	if bytes.HasPrefix(b, []byte(elf.ELFMAG)) {
		img.raw, img.compression = b, "none"
	} else {
		if len(b) < 0x250 || string(b[0x202:0x206]) != "HdrS" {
			return nil, errors.New("not a kernel image: neither an ELF vmlinux nor a bzImage (no HdrS setup header)")
		}
		img.release = setupHeaderRelease(b)
		payload, name, err := bzPayload(b)
		if err != nil {
			return nil, err
		}
		img.compression = name
		raw, err := decompress(name, payload)
		if err != nil {
			return nil, err
		}
		if !bytes.HasPrefix(raw, []byte(elf.ELFMAG)) {
			return nil, fmt.Errorf("the %s payload does not decompress to an ELF vmlinux", name)
		}
		img.raw = raw
	}
	f, err := elf.NewFile(bytes.NewReader(img.raw))
	if err != nil {
		return nil, fmt.Errorf("reading the vmlinux ELF: %w", err)
	}
	img.elf = f
	img.banner = linuxBanner(img)
	if img.release == "" {
		if fs := strings.Fields(strings.TrimPrefix(img.banner, "Linux version ")); len(fs) > 0 {
			img.release = fs[0]
		}
	}
	return img, nil
}

// setupHeaderRelease reads the version string the bzImage setup header
// points at (kernel_version, boot protocol 2.00 and later): its first
// word is the release.
func setupHeaderRelease(b []byte) string {
	ptr := int(binary.LittleEndian.Uint16(b[0x20e:]))
	if ptr == 0 || ptr+0x200 >= len(b) {
		return ""
	}
	s := b[ptr+0x200:]
	if i := bytes.IndexByte(s, 0); i >= 0 && i < 512 {
		s = s[:i]
	} else {
		return ""
	}
	fs := strings.Fields(string(s))
	if len(fs) == 0 || !releaseRe.MatchString(fs[0]) {
		return ""
	}
	return fs[0]
}

// bzPayload finds the compressed vmlinux in a bzImage: where the setup
// header says (payload_offset, protocol 2.08 and later), else the first
// known compression magic after the setup code.
func bzPayload(b []byte) ([]byte, string, error) {
	setupSects := int(b[0x1f1])
	if setupSects == 0 {
		setupSects = 4
	}
	pm := (setupSects + 1) * 512
	proto := binary.LittleEndian.Uint16(b[0x206:])
	if proto >= 0x208 && pm < len(b) {
		off := int(binary.LittleEndian.Uint32(b[0x248:]))
		n := int(binary.LittleEndian.Uint32(b[0x24c:]))
		if off > 0 && n > 0 && pm+off+n <= len(b) {
			p := b[pm+off : pm+off+n]
			for _, m := range payloadMagics {
				if bytes.HasPrefix(p, m.magic) {
					return p, m.name, nil
				}
			}
		}
	}
	// Older headers: search for a magic, the least ambiguous first.
	for _, m := range payloadMagics[:4] {
		if i := bytes.Index(b[min(pm, len(b)):], m.magic); i >= 0 {
			return b[pm+i:], m.name, nil
		}
	}
	return nil, "", errors.New("no compressed kernel found in the bzImage")
}

func decompress(name string, p []byte) ([]byte, error) {
	switch name {
	case "xz":
		if b, ok := xzCommand(p, MaxVmlinuxSize); ok {
			return b, nil
		}
		return xzDecompress(p, MaxVmlinuxSize)
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(p))
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		zr.Multistream(false)
		out, err := readAllLimit(zr, MaxVmlinuxSize)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return out, nil
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(p), zstd.WithDecoderMaxMemory(MaxVmlinuxSize), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		defer zr.Close()
		out, err := readAllLimit(zr, MaxVmlinuxSize)
		// The kernel appends the decompressed size after the frame,
		// which the reader takes for a next frame without its magic:
		// what came before is the kernel. Any other error is damage.
		if err != nil && !(errors.Is(err, zstd.ErrMagicMismatch) && bytes.HasPrefix(out, []byte(elf.ELFMAG))) {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("the kernel payload is %s-compressed, which kgent cannot decompress (it reads xz, zstd and gzip); decompress it to a vmlinux and pass that", name)
}

var bannerRe = regexp.MustCompile(`Linux version (\d+\.\d+[^\s]*) \([^\x00\n]*`)

// linuxBanner finds the "Linux version ..." banner in the kernel's
// read-only data.
func linuxBanner(img *vmlinuxImage) string {
	search := img.raw
	if s := img.elf.Section(".rodata"); s != nil && s.Type != elf.SHT_NOBITS {
		if d, ok := sectionBytes(img, s); ok {
			search = d
		}
	}
	for off := 0; off < len(search); {
		i := bytes.Index(search[off:], []byte("Linux version "))
		if i < 0 {
			break
		}
		m := bannerRe.Find(search[off+i : min(len(search), off+i+512)])
		if m != nil {
			return strings.TrimSpace(string(m))
		}
		off += i + 1
	}
	return ""
}

// sectionBytes is a section's contents within the image, without a copy.
func sectionBytes(img *vmlinuxImage, s *elf.Section) ([]byte, bool) {
	if s.Type == elf.SHT_NOBITS || s.Offset+s.Size > uint64(len(img.raw)) || s.Offset > uint64(len(img.raw)) {
		return nil, false
	}
	return img.raw[s.Offset : s.Offset+s.Size], true
}

// at returns n bytes of the image at a kernel virtual (link-time) address.
func (img *vmlinuxImage) at(addr uint64, n int) ([]byte, bool) {
	for _, p := range img.elf.Progs {
		if p.Type != elf.PT_LOAD || addr < p.Vaddr || addr >= p.Vaddr+p.Filesz {
			continue
		}
		off := p.Off + (addr - p.Vaddr)
		if addr+uint64(n) > p.Vaddr+p.Filesz || off+uint64(n) > uint64(len(img.raw)) {
			return nil, false
		}
		return img.raw[off : off+uint64(n)], true
	}
	return nil, false
}

func (img *vmlinuxImage) u64(addr uint64) (uint64, bool) {
	b, ok := img.at(addr, 8)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b), true
}

func (img *vmlinuxImage) u32(addr uint64) (uint32, bool) {
	b, ok := img.at(addr, 4)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b), true
}

// cstring reads a NUL-terminated string (at most 256 bytes) at addr.
func (img *vmlinuxImage) cstring(addr uint64) (string, bool) {
	for _, p := range img.elf.Progs {
		if p.Type != elf.PT_LOAD || addr < p.Vaddr || addr >= p.Vaddr+p.Filesz {
			continue
		}
		off := p.Off + (addr - p.Vaddr)
		end := min(off+256, p.Off+p.Filesz, uint64(len(img.raw)))
		if off >= end {
			return "", false
		}
		s := img.raw[off:end]
		i := bytes.IndexByte(s, 0)
		if i < 0 {
			return "", false
		}
		return string(s[:i]), true
	}
	return "", false
}

// KernelVersion is a kernel's upstream version, comparable: "added in
// 5.17" checks compare Major and Minor.
type KernelVersion struct{ Major, Minor, Patch int }

func (v KernelVersion) String() string {
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// Less orders versions.
func (v KernelVersion) Less(w KernelVersion) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// AtLeast reports whether v is major.minor or later.
func (v KernelVersion) AtLeast(major, minor int) bool {
	return !v.Less(KernelVersion{Major: major, Minor: minor})
}

var kernelVersionRe = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?`)

// ParseKernelVersion reads the leading major.minor[.patch] of a release
// or version string ("6.1.0-50-amd64", "6.12.117+deb13-amd64", "5.10.223").
func ParseKernelVersion(s string) (KernelVersion, bool) {
	m := kernelVersionRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return KernelVersion{}, false
	}
	var v KernelVersion
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		v.Patch, _ = strconv.Atoi(m[3])
	}
	return v, true
}

// Version is the target kernel's upstream version: Meta.Version when the
// build knew it (a distribution's release string may not carry the patch
// level: Debian's 6.1.0-50-amd64 is 6.1.176), else the release's leading
// numbers. false when neither parses (a BTF-only build).
func (k *KB) Version() (KernelVersion, bool) {
	if v, ok := ParseKernelVersion(k.Meta.Version); ok {
		return v, true
	}
	return ParseKernelVersion(k.Meta.Kernel)
}

// distroVersionRe finds a distribution's upstream version in the banner
// ("... SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2025-...)").
var distroVersionRe = regexp.MustCompile(`\b(?:Debian|Ubuntu)\s+(\d+\.\d+\.\d+)`)

// upstreamVersion is the most precise version the banner and release say.
func upstreamVersion(release, banner string) string {
	rv, ok := ParseKernelVersion(release)
	// The banner names the compiler's version too ("gcc-12 (Debian
	// 12.2.0-14)"): the kernel's is the last one of the release's line.
	ms := distroVersionRe.FindAllStringSubmatch(banner, -1)
	for i := len(ms) - 1; i >= 0; i-- {
		if v, vok := ParseKernelVersion(ms[i][1]); vok && (!ok || v.Major == rv.Major && v.Minor == rv.Minor) {
			return v.String()
		}
	}
	if ok {
		return rv.String()
	}
	return ""
}
