package microvm

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
)

// A VM booted with Options.Bpftool also holds a bpftool of this machine,
// for Loadall: the guest runs `bpftool prog loadall`, so libbpf itself
// loads an object into the guest kernel (the differential tests compare
// kgent's loader with it, kernel by kernel). bpftool is linked
// dynamically: it goes into the initramfs with the shared libraries it
// needs, under GuestToolDir, and its interpreter at the path its
// PT_INTERP names. The guest has no other use for them; without the
// option the initramfs is the init alone.

// Where the guest finds bpftool and its libraries.
const (
	GuestToolDir = "/opt/kgent"
	GuestBpftool = GuestToolDir + "/bpftool"
	GuestLibDir  = GuestToolDir + "/lib"
)

// libDirs are where the dynamic loader of this machine looks for a
// library by default (after the executable's own RUNPATH).
func libDirs() []string {
	triple := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "386": "i386-linux-gnu"}[runtime.GOARCH]
	var dirs []string
	if triple != "" {
		dirs = append(dirs, "/lib/"+triple, "/usr/lib/"+triple)
	}
	return append(dirs, "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib")
}

// toolEntries are the initramfs entries that make the executable exe of
// this machine run in the guest as GuestBpftool: the executable, each
// shared library it needs (DT_NEEDED, transitively, found in its RUNPATH
// or the loader's default directories, of its own ELF class and machine)
// in GuestLibDir, and its interpreter at its own path. The directories
// they need come first.
func toolEntries(exe string) ([]cpioEntry, error) {
	data, err := os.ReadFile(exe)
	if err != nil {
		return nil, fmt.Errorf("bpftool for the microVM: %v", err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("bpftool for the microVM: %s is not an ELF executable", exe)
	}
	defer f.Close()
	files := []cpioEntry{{name: strings.TrimPrefix(GuestBpftool, "/"), mode: cpioFile | 0o755, data: data}}
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			return nil, fmt.Errorf("bpftool for the microVM: reading %s's interpreter: %v", exe, err)
		}
		interp := strings.TrimRight(string(b), "\x00")
		idata, err := os.ReadFile(interp)
		if err != nil {
			return nil, fmt.Errorf("bpftool for the microVM: its interpreter: %v", err)
		}
		files = append(files, cpioEntry{name: strings.TrimPrefix(path.Clean(interp), "/"), mode: cpioFile | 0o755, data: idata})
	}
	seen := map[string]bool{}
	var walk func(f *elf.File, who string) error
	walk = func(f *elf.File, who string) error {
		needed, err := f.DynString(elf.DT_NEEDED)
		if err != nil {
			return nil // static: nothing needed
		}
		var dirs []string
		for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
			rp, _ := f.DynString(tag)
			for _, s := range rp {
				for _, d := range strings.Split(s, ":") {
					if !strings.Contains(d, "$") && d != "" {
						dirs = append(dirs, d)
					}
				}
			}
		}
		dirs = append(dirs, libDirs()...)
		for _, lib := range needed {
			if seen[lib] {
				continue
			}
			seen[lib] = true
			var found []byte
			var lf *elf.File
			for _, d := range dirs {
				b, err := os.ReadFile(filepath.Join(d, lib))
				if err != nil {
					continue
				}
				g, err := elf.NewFile(bytes.NewReader(b))
				if err != nil || g.Class != f.Class || g.Machine != f.Machine {
					continue
				}
				found, lf = b, g
				break
			}
			if found == nil {
				return fmt.Errorf("bpftool for the microVM: %s needs %s, which is not in %s", who, lib, strings.Join(dirs, ", "))
			}
			files = append(files, cpioEntry{name: strings.TrimPrefix(GuestLibDir, "/") + "/" + lib, mode: cpioFile | 0o755, data: found})
			err := walk(lf, lib)
			lf.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(f, exe); err != nil {
		return nil, err
	}
	return withParents(files), nil
}

// withParents puts before files a directory entry for each directory
// they are in, once, outer first (the kernel's unpacker makes no
// directories of its own). The initramfs's own top directories are left
// to it.
func withParents(files []cpioEntry) []cpioEntry {
	have := map[string]bool{"dev": true, "proc": true, "sys": true, "boot": true, "tmp": true}
	var out []cpioEntry
	for _, e := range files {
		var chain []string
		for d := path.Dir(e.name); d != "." && d != "/" && !have[d]; d = path.Dir(d) {
			chain = append(chain, d)
			have[d] = true
		}
		for i := len(chain) - 1; i >= 0; i-- {
			out = append(out, cpioEntry{name: chain[i], mode: cpioDir | 0o755})
		}
	}
	return append(out, files...)
}
