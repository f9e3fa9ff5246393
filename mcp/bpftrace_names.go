package mcp

import (
	"github.com/kgent/kgent/analysis/bpftrace"
	"github.com/kgent/kgent/kb"
)

func bpftraceDescribe(name string) string { return bpftrace.Describe(name) }

func bpftraceNearest(name string) []string {
	var names []string
	for _, n := range bpftrace.Names() {
		names = append(names, n.Name)
	}
	return kb.Nearest(names, name, 5)
}
