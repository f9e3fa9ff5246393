package microvm

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/kgent/kgent/kb"
)

// kernelMu serialises extracting kernels into the cache.
var kernelMu sync.Mutex

// bootKernel is the file QEMU boots for image: its vmlinux, decompressed
// once into the cache (<cache>/microvm/vmlinux-<sha256 of the image>),
// when the vmlinux has a PVH entry point (CONFIG_PVH): QEMU then starts
// it directly, where a bzImage would decompress itself (xz) in the guest,
// which costs seconds on every boot under TCG. Otherwise the image
// itself.
func bootKernel(cacheDir, image string) (string, error) {
	f, err := os.Open(image)
	if err != nil {
		return "", fmt.Errorf("the kernel image %s cannot be read: %v", image, err)
	}
	h := sha256.New()
	var head [4]byte
	_, err = io.ReadFull(f, head[:])
	if err == nil {
		h.Write(head[:])
		_, err = io.Copy(h, f)
	}
	f.Close()
	if err != nil {
		return "", fmt.Errorf("the kernel image %s cannot be read: %v", image, err)
	}
	if string(head[:]) == elf.ELFMAG {
		return image, nil // a vmlinux already: QEMU boots it if it has PVH
	}
	if err := bootable(image); err != nil {
		return "", err
	}
	dir := filepath.Join(cacheDir, "microvm")
	if err := kb.PrivateDir(cacheDir); err != nil {
		return image, nil
	}
	if err := kb.PrivateDir(dir); err != nil {
		return image, nil
	}
	sum := hex.EncodeToString(h.Sum(nil))[:24]
	out := filepath.Join(dir, "vmlinux-"+sum)
	noPVH := out + ".nopvh"
	kernelMu.Lock()
	defer kernelMu.Unlock()
	if kb.OwnedFile(out) == nil {
		return out, nil
	}
	if kb.OwnedFile(noPVH) == nil {
		return image, nil
	}
	raw, _, err := kb.Vmlinux(image)
	if err != nil {
		return image, nil // QEMU may still boot what kgent cannot read
	}
	if !hasPVH(raw) {
		_ = os.WriteFile(noPVH, nil, 0o600)
		return image, nil
	}
	tmp, err := os.CreateTemp(dir, ".vmlinux-*")
	if err != nil {
		return image, nil
	}
	_, werr := tmp.Write(raw)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), out)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return image, nil
	}
	return out, nil
}

// hasPVH reports whether a vmlinux ELF has the Xen PVH entry note
// (XEN_ELFNOTE_PHYS32_ENTRY), which QEMU needs to boot it directly.
func hasPVH(raw []byte) bool {
	f, err := elf.NewFile(bytes.NewReader(raw))
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			continue
		}
		for len(b) >= 12 {
			nsz, dsz, typ := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])
			name := b[12:]
			adv := 12 + (int(nsz)+3)&^3 + (int(dsz)+3)&^3
			if int(nsz) <= len(name) && string(bytes.TrimRight(name[:nsz], "\x00")) == "Xen" && typ == 18 {
				return true
			}
			if adv > len(b) || adv <= 12 {
				break
			}
			b = b[adv:]
		}
	}
	return false
}
