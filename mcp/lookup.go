package mcp

import (
	"context"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/kb"
)

const lookupDescription = "Look up what the target kernel really offers, instead of guessing. kind is one of: " +
	"helper (BPF helper: prototype, the program types that may call it on this kernel, GPL-only, documentation), " +
	"kfunc (prototype and tags), " +
	"function (kernel function: BTF prototype, and whether kprobe and fentry can attach to it on this kernel), " +
	"tracepoint (category:name, e.g. syscalls:sys_enter_openat, with its fields; a bare name finds it in any category; also raw tracepoints), " +
	"struct (struct, union, enum or typedef with its members and offsets), " +
	"sec (a libbpf SEC() name such as tp_btf/sched_switch: program type, attach kind, target form), " +
	"bpftrace (a bpftrace builtin, function or probe type), or any (every kind). " +
	"Names may use * and ? wildcards for helper, kfunc, function, tracepoint and struct. Returns the exact matches; when there is none, " +
	"the nearest real names (so a misspelled or invented name leads to the real one)."

// LookupInput is the input of lookup_kernel.
type LookupInput struct {
	Kind    string   `json:"kind" jsonschema:"helper, kfunc, function, tracepoint, struct, sec, bpftrace or any"`
	Targets []string `json:"targets,omitempty" jsonschema:"also say whether each of these kernels has it: host and named profiles (kernel_info lists them)"`
	Query   string   `json:"query" jsonschema:"the name to look up, e.g. bpf_get_current_pid_tgid, tcp_v4_connect, syscalls:sys_enter_openat, task_struct, kprobe/do_unlinkat, nsecs; * and ? are wildcards"`
}

// LookupOutput is the output of lookup_kernel: the kb's facts, the same
// kgent kb lookup prints and hover shows; with targets, whether each
// kernel has the name.
type LookupOutput struct {
	kb.Facts
	Targets []TargetFacts `json:"targets,omitempty" jsonschema:"per target kernel: whether it has the name, and the nearest names when not"`
}

// TargetFacts says whether one target kernel has what was looked up.
type TargetFacts struct {
	Target  string   `json:"target"`
	Kernel  string   `json:"kernel"`
	Found   bool     `json:"found"`
	Nearest []string `json:"nearest,omitempty"`
}

// Match is one thing the kernel (or libbpf, or bpftrace) has by a name.
type Match = kb.Match

func (t *tools) lookup(_ context.Context, _ *mcp.CallToolRequest, in LookupInput) (LookupOutput, error) {
	if len(in.Query) > maxQuery {
		return LookupOutput{Facts: kb.Facts{Kind: in.Kind, Query: in.Query, Matches: []Match{}, Kernel: t.k.Meta.Kernel}}, fmt.Errorf("query is longer than %d bytes", maxQuery)
	}
	facts, err := t.k.LookupFacts(in.Kind, in.Query)
	out := LookupOutput{Facts: facts}
	if err != nil || len(in.Targets) == 0 {
		return out, err
	}
	for _, name := range in.Targets {
		tg, err := t.p.Target(name)
		if err != nil {
			return out, err
		}
		k := tg.KB
		f, err := k.LookupFacts(in.Kind, in.Query)
		if err != nil {
			return out, err
		}
		out.Targets = append(out.Targets, TargetFacts{Target: name, Kernel: k.Meta.Kernel, Found: len(f.Matches) > 0, Nearest: f.Nearest})
	}
	return out, nil
}
