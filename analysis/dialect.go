package analysis

import (
	"path/filepath"
	"strings"
)

// Dialect is the language of a document.
type Dialect string

const (
	DialectNone     Dialect = ""
	DialectC        Dialect = "c"
	DialectBpftrace Dialect = "bpftrace"
)

// ParseDialect accepts a language name as users and editors spell it.
func ParseDialect(s string) Dialect {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "bpftrace", "bt":
		return DialectBpftrace
	case "c", "bpfc", "ebpf", "bpf":
		return DialectC
	}
	return DialectNone
}

// Detect decides the dialect of a document from its path and text. It is
// the one place the CLI, the server and the MCP front decide this.
func Detect(path, text string) Dialect {
	base := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(base, ".bt"):
		return DialectBpftrace
	case strings.HasSuffix(base, ".bpf.c"):
		return DialectC
	}
	first := text
	if i := strings.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	if strings.HasPrefix(first, "#!") && strings.Contains(first, "bpftrace") {
		return DialectBpftrace
	}
	if strings.HasSuffix(base, ".c") || strings.HasSuffix(base, ".h") {
		head := text
		if len(head) > 64<<10 {
			head = head[:64<<10]
		}
		if strings.Contains(head, "bpf/bpf_helpers.h") || strings.Contains(head, "vmlinux.h") {
			return DialectC
		}
	}
	return DialectNone
}
