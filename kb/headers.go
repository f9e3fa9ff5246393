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
				data, err := os.ReadFile(f)
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
