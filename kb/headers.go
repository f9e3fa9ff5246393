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
	mod    int64
	names  map[string]bool
	guards map[string]bool
	// tags are the struct and union tags the file names with a body
	// ("struct hist {"); nested says it includes another header with
	// quotes, whose definitions it does not list.
	tags   map[string]bool
	nested bool
}

var (
	tagDefRe      = regexp.MustCompile(`\b(?:struct|union)\s+(\w+)\s*\{`)
	quotedInclude = regexp.MustCompile(`(?m)^\s*#\s*include\s*"`)
)

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
	guards := existenceTesters(data)
	for _, m := range headerNameRe.FindAllSubmatch(data, -1) {
		for _, g := range m[1:] {
			if len(g) > 0 {
				names[string(g)] = true
			}
		}
	}
	tags := map[string]bool{}
	for _, m := range tagDefRe.FindAllSubmatch(data, -1) {
		tags[string(m[1])] = true
	}
	fileNamesMu.Lock()
	fileNamesCache[path] = fileNames{mod: st.ModTime().UnixNano(), names: names, guards: guards, tags: tags, nested: quotedInclude.Match(data)}
	fileNamesMu.Unlock()
	return names, nil
}

// FileTags returns the struct and union tags a header defines, and
// whether it includes other headers with quotes (whose tags it does not
// list), read and cached as FileNames.
func (k *KB) FileTags(path string) (tags map[string]bool, nested bool, err error) {
	if _, err := k.FileNames(path); err != nil {
		return nil, false, err
	}
	fileNamesMu.Lock()
	defer fileNamesMu.Unlock()
	c := fileNamesCache[path]
	return c.tags, c.nested, nil
}

// FileGuards returns the functions of a header whose bodies test what
// the kernel has (bpf_core_field_exists, bpf_core_type_exists,
// bpf_core_enum_value_exists, bpf_ksym_exists: core_fixes.bpf.h's
// has_kfree()), read and cached as FileNames.
func (k *KB) FileGuards(path string) (map[string]bool, error) {
	if _, err := k.FileNames(path); err != nil {
		return nil, err
	}
	fileNamesMu.Lock()
	defer fileNamesMu.Unlock()
	return fileNamesCache[path].guards, nil
}

var existsTestRe = regexp.MustCompile(`\b(?:bpf_core_(?:field|type|enum_value)_exists|bpf_core_type_matches|bpf_ksym_exists)\s*\(`)

// existenceTesters finds the functions of C text whose bodies hold an
// existence test: the name before the parameter list in front of each
// top-level body. Comments and strings are not told from code: a test
// named in a comment inside a body counts, which at worst makes a
// missing name a warning.
func existenceTesters(data []byte) map[string]bool {
	out := map[string]bool{}
	depth, start := 0, -1
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			if depth == 0 {
				start = i
			}
			depth++
		case '}':
			if depth == 0 {
				continue
			}
			depth--
			if depth == 0 && start >= 0 {
				if existsTestRe.Match(data[start:i]) {
					if name := funcNameBefore(data[:start]); name != "" {
						out[name] = true
					}
				}
				start = -1
			}
		}
	}
	return out
}

// funcNameBefore is the function name of a definition whose body starts
// where head ends: the identifier before the last parameter list.
func funcNameBefore(head []byte) string {
	i := len(head) - 1
	for i >= 0 && (head[i] == ' ' || head[i] == '\t' || head[i] == '\n' || head[i] == '\r') {
		i--
	}
	if i < 0 || head[i] != ')' {
		return ""
	}
	depth := 0
	for ; i >= 0; i-- {
		if head[i] == ')' {
			depth++
		} else if head[i] == '(' {
			depth--
			if depth == 0 {
				break
			}
		}
	}
	j := i - 1
	for j >= 0 && (head[j] == ' ' || head[j] == '\t') {
		j--
	}
	end := j + 1
	for j >= 0 && (head[j] == '_' || head[j] >= 'a' && head[j] <= 'z' || head[j] >= 'A' && head[j] <= 'Z' || head[j] >= '0' && head[j] <= '9') {
		j--
	}
	if j+1 >= end {
		return ""
	}
	return string(head[j+1 : end])
}
