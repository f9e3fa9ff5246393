package kb

import (
	"os"
	"path/filepath"
	"regexp"
	"sync"
)

var (
	headerNamesOnce sync.Once
	headerNames     map[string]bool
)

var headerNameRe = regexp.MustCompile(`(?m)^\s*#\s*define\s+(\w+)|^(?:static\s+)?(?:__always_inline\s+|inline\s+|__inline\s+)*[\w\s\*]+?\b(\w+)\s*\(`)

// HeaderNames returns the macros and functions the installed libbpf
// headers (bpf/*.h) define, read at run time: bpf_printk, BPF_CORE_READ,
// bpf_core_read, ... Empty when the headers are not installed.
func (k *KB) HeaderNames() map[string]bool {
	headerNamesOnce.Do(func() {
		headerNames = map[string]bool{}
		for _, dir := range headerDirs {
			files, _ := filepath.Glob(filepath.Join(dir, "bpf", "*.h"))
			for _, f := range files {
				data, err := ReadRegular(f, MaxHeaderSize)
				if err != nil {
					continue
				}
				for _, m := range headerNameRe.FindAllSubmatch(data, -1) {
					for _, g := range m[1:] {
						if len(g) > 0 {
							headerNames[string(g)] = true
						}
					}
				}
			}
		}
	})
	return headerNames
}

type fileNames struct {
	mod   int64
	names map[string]bool
}

var (
	fileNamesMu    sync.Mutex
	fileNamesCache = map[string]fileNames{}
)

// FileNames returns the macros and functions a header file defines
// (a program's own "maps.bpf.h"), cached by path and modification time.
// Only a regular file of at most MaxHeaderSize bytes is read (see
// ReadRegular); callers decide first whether the program may include it
// (IncludeResolver).
func (k *KB) FileNames(path string) (map[string]bool, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	fileNamesMu.Lock()
	if c, ok := fileNamesCache[path]; ok && c.mod == st.ModTime().UnixNano() {
		fileNamesMu.Unlock()
		return c.names, nil
	}
	fileNamesMu.Unlock()
	data, err := ReadRegular(path, MaxHeaderSize)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, m := range headerNameRe.FindAllSubmatch(data, -1) {
		for _, g := range m[1:] {
			if len(g) > 0 {
				names[string(g)] = true
			}
		}
	}
	fileNamesMu.Lock()
	fileNamesCache[path] = fileNames{mod: st.ModTime().UnixNano(), names: names}
	fileNamesMu.Unlock()
	return names, nil
}
