package kb

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// hostConfig reads the running kernel's config: /proc/config.gz
// (CONFIG_IKCONFIG_PROC), else /boot/config-<release>. It returns the
// lines as readConfig does and where they came from.
func hostConfig() ([]string, string, error) {
	if b, err := ReadRegular("/proc/config.gz", 4<<20); err == nil {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err == nil {
			text, err := io.ReadAll(io.LimitReader(zr, 16<<20))
			if err == nil {
				if cfg := configLines(text); len(cfg) > 0 {
					return cfg, "/proc/config.gz", nil
				}
			}
		}
	}
	p := "/boot/config-" + hostRelease()
	b, err := ReadRegular(p, 16<<20)
	if cfg := configLines(b); err == nil && len(cfg) > 0 {
		return cfg, p, nil
	}
	return nil, "", errors.New("neither /proc/config.gz nor " + p + " is readable")
}

// hostTraceable reads tracefs's available_filter_functions: the functions
// ftrace (kprobes, fentry) can attach to, modules' included.
func hostTraceable(roots []string) ([]string, string, error) {
	var lastErr error = errors.New("no tracefs mount point")
	for _, root := range roots {
		p := filepath.Join(root, "available_filter_functions")
		b, err := ReadRegular(p, 64<<20)
		if err != nil {
			lastErr = err
			continue
		}
		var out []string
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 0 {
				continue
			}
			name := f[0]
			if i := strings.IndexByte(name, '.'); i > 0 {
				name = name[:i]
			}
			out = append(out, name)
		}
		if len(out) == 0 {
			lastErr = errors.New(p + " is empty")
			continue
		}
		slices.Sort(out)
		return slices.Compact(out), FromTracefs + " " + p, nil
	}
	return nil, "", lastErr
}

// configLines keeps the CONFIG_ lines that set an option, sorted.
func configLines(text []byte) []string {
	var out []string
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "CONFIG_") && strings.Contains(line, "=") {
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
