package kb

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
)

var (
	headerNamesOnce sync.Once
	headerNames     map[string]bool
)

var headerNameRe = regexp.MustCompile(`(?m)^\s*#\s*define\s+(\w+)|^(?:static\s+)?(?:__always_inline\s+|inline\s+|__inline\s+)*[\w\s\*]+?\b(\w+)\s*\(`)

// HeaderNames returns the macros and functions the installed libbpf
// headers (bpf/*.h) define, read at run time: bpf_printk, BPF_CORE_READ,
// bpf_core_read, ... Empty when the headers are not installed. Scanning
// the headers takes tens of milliseconds, more than a whole check, so
// the names are kept in the kb cache directory under the headers' names,
// sizes and modification times, and scanned again only when one changes.
func (k *KB) HeaderNames() map[string]bool {
	headerNamesOnce.Do(func() {
		var files []string
		for _, dir := range headerDirs {
			fs, _ := filepath.Glob(filepath.Join(dir, "bpf", "*.h"))
			files = append(files, fs...)
		}
		headerNames = cachedHeaderNames(files)
	})
	return headerNames
}

// headersFile holds the names the installed headers define, in the kb
// cache directory.
const headersFile = "header-names.json"

type headerNamesCache struct {
	Stamp string
	Names []string
}

func cachedHeaderNames(files []string) map[string]bool {
	h := sha256.New()
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			fmt.Fprintf(h, "%s\x00%d\x00%d\x00", f, st.Size(), st.ModTime().UnixNano())
		}
	}
	stamp := hex.EncodeToString(h.Sum(nil))
	dir, err := filepath.Abs(CacheDir())
	if err == nil {
		if _, err := safePath(dir, true); err == nil {
			if data, err := ReadRegular(filepath.Join(dir, headersFile), 4<<20); err == nil {
				var c headerNamesCache
				if json.Unmarshal(data, &c) == nil && c.Stamp == stamp {
					names := make(map[string]bool, len(c.Names))
					for _, n := range c.Names {
						names[n] = true
					}
					return names
				}
			}
		}
	}
	names := map[string]bool{}
	for _, f := range files {
		data, err := ReadRegular(f, MaxHeaderSize)
		if err != nil {
			continue
		}
		for _, m := range headerNameRe.FindAllSubmatch(data, -1) {
			for _, g := range m[1:] {
				if len(g) > 0 {
					names[string(g)] = true
				}
			}
		}
	}
	if dir != "" && PrivateDir(dir) == nil {
		c := headerNamesCache{Stamp: stamp, Names: make([]string, 0, len(names))}
		for n := range names {
			c.Names = append(c.Names, n)
		}
		sort.Strings(c.Names)
		_ = writeAtomic(filepath.Join(dir, headersFile), func(w io.Writer) error { return json.NewEncoder(w).Encode(c) })
	}
	return names
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
