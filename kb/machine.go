package kb

import (
	"debug/elf"
	"os"
	"path/filepath"
	"sync"
)

// Facts about this machine that checks need (is a header installed, does a
// binary exist and export a symbol) are read lazily here and cached, so
// the checkers themselves never touch the OS.

var (
	machineMu  sync.Mutex
	symCache   = map[string]symEntry{}
	headerDirs = []string{"/usr/include", "/usr/local/include"}
)

type symEntry struct {
	mod  int64
	syms map[string]struct{}
	err  error
}

// FileExists answers whether a path exists on this machine.
func (k *KB) FileExists(path string) Tri {
	if _, err := os.Stat(path); err == nil {
		return Yes
	} else if os.IsNotExist(err) {
		return No
	}
	return Unknown
}

// HeaderInstalled answers whether an #include'd header exists in the
// system include directories or the kernel headers of this machine.
func (k *KB) HeaderInstalled(name string) Tri {
	if filepath.IsAbs(name) {
		return k.FileExists(name)
	}
	for _, d := range systemIncludeDirs() {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return Yes
		}
	}
	return No
}

// BinarySymbols returns the function symbols of an ELF binary (symtab and
// dynsym), cached by path and modification time.
func (k *KB) BinarySymbols(path string) (map[string]struct{}, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	machineMu.Lock()
	if e, ok := symCache[path]; ok && e.mod == st.ModTime().UnixNano() {
		machineMu.Unlock()
		return e.syms, e.err
	}
	machineMu.Unlock()
	syms, err := readELFSymbols(path)
	machineMu.Lock()
	symCache[path] = symEntry{mod: st.ModTime().UnixNano(), syms: syms, err: err}
	machineMu.Unlock()
	return syms, err
}

func readELFSymbols(path string) (map[string]struct{}, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]struct{}{}
	for _, read := range []func() ([]elf.Symbol, error){f.Symbols, f.DynamicSymbols} {
		syms, err := read()
		if err != nil {
			continue
		}
		for _, s := range syms {
			if elf.ST_TYPE(s.Info) == elf.STT_FUNC || elf.ST_TYPE(s.Info) == elf.STT_GNU_IFUNC {
				name := s.Name
				for i := 0; i < len(name); i++ {
					if name[i] == '@' {
						name = name[:i]
						break
					}
				}
				out[name] = struct{}{}
			}
		}
	}
	return out, nil
}
