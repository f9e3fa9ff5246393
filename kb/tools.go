package kb

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"
)

// Tool versions are detected once per binary: a check must not start a
// process (bpftrace --version alone takes tens of milliseconds, more than
// the whole analysis), so the answer is kept in kgent's cache directory
// under the binary's path, device, inode, size and modification time,
// and asked again only when the binary changes.

// toolsFile holds the detected versions, in the kb cache directory.
const toolsFile = "tools.json"

type toolEntry struct {
	Dev, Ino uint64
	Size     int64
	ModNano  int64
	Version  string
}

var (
	toolsMu  sync.Mutex
	toolsMem = map[string]toolEntry{}
)

var versionRe = regexp.MustCompile(`v?(\d+\.\d+(?:\.\d+)?)`)

// ParseToolVersion reads the first version number of a --version output:
// "bpftrace v0.23.2" is 0.23.2, "Debian clang version 14.0.6" is 14.0.6.
func ParseToolVersion(out string) (string, bool) {
	m := versionRe.FindStringSubmatch(out)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// ToolVersion is the version the tool reports with --version. tool is a
// path or a name looked up in PATH. The answer comes from the cache when
// the binary is the one seen before; otherwise the tool runs once (5 s at
// most) and the answer is cached.
func ToolVersion(tool string) (string, error) {
	path := tool
	if filepath.Base(tool) == tool {
		p, err := exec.LookPath(tool)
		if err != nil {
			return "", err
		}
		path = p
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	if real, err = filepath.Abs(real); err != nil {
		return "", err
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", real)
	}
	id := toolEntry{Size: st.Size(), ModNano: st.ModTime().UnixNano()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		id.Dev, id.Ino = uint64(sys.Dev), sys.Ino
	}
	same := func(e toolEntry) bool {
		return e.Dev == id.Dev && e.Ino == id.Ino && e.Size == id.Size && e.ModNano == id.ModNano && e.Version != ""
	}
	toolsMu.Lock()
	defer toolsMu.Unlock()
	if e, ok := toolsMem[real]; ok && same(e) {
		return e.Version, nil
	}
	dir, err := filepath.Abs(CacheDir())
	if err != nil {
		return "", err
	}
	onDisk := readTools(dir)
	if e, ok := onDisk[real]; ok && same(e) {
		toolsMem[real] = e
		return e.Version, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, real, "--version")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %v", real, err)
	}
	v, ok := ParseToolVersion(string(out))
	if !ok {
		return "", fmt.Errorf("%s --version printed no version", real)
	}
	id.Version = v
	toolsMem[real] = id
	onDisk[real] = id
	if PrivateDir(dir) == nil {
		_ = writeAtomic(filepath.Join(dir, toolsFile), func(w io.Writer) error {
			return json.NewEncoder(w).Encode(onDisk)
		})
	}
	return v, nil
}

// readTools reads the cached versions; a missing, foreign or damaged file
// is an empty cache.
func readTools(dir string) map[string]toolEntry {
	m := map[string]toolEntry{}
	if _, err := safePath(dir, true); err != nil {
		return m
	}
	data, err := ReadRegular(filepath.Join(dir, toolsFile), 1<<20)
	if err == nil {
		_ = json.Unmarshal(data, &m)
	}
	return m
}
