package mcp

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/kb"
)

const infoDescription = "Describe the target kernel this server checks against: its release, where the facts come from " +
	"(host BTF, another machine's BTF file, or the embedded reference kernel), how many helpers, kfuncs, functions, " +
	"tracepoints and types it knows, and which attach kinds the kernel supports (kprobe, fentry, tracepoint, uprobe, ...), " +
	"with the reason when one is missing, and the named profiles of other kernels usable as targets of check_program and lookup_kernel. " +
	"Call it once before writing a program to pick attach points that work here."

// InfoInput is the (empty) input of kernel_info.
type InfoInput struct{}

// InfoOutput is the output of kernel_info.
type InfoOutput struct {
	KB kb.Info `json:"kb"`
	// Provider is generate_program's provider: offline or the LLM's.
	Provider string `json:"provider"`
	// BpftraceVersion is the bpftrace version checked against ("" for the
	// installed one).
	BpftraceVersion string `json:"bpftrace_version,omitempty"`
	// Profiles are the other kernels check_program and lookup_kernel can
	// take as targets.
	Profiles []kb.ProfileInfo `json:"profiles,omitempty" jsonschema:"named kernel profiles usable as targets"`
}

func (t *tools) info(context.Context, *mcp.CallToolRequest, InfoInput) (InfoOutput, error) {
	bt, _ := t.p.BpftraceRelease()
	out := InfoOutput{KB: t.k.Info(), Provider: "offline", BpftraceVersion: bt}
	if out.KB.Attach == nil {
		out.KB.Attach = []kb.AttachInfo{}
	}
	if t.opts.Provider != nil {
		out.Provider = t.opts.Provider.Name()
	}
	out.Profiles, _ = kb.Profiles()
	for i := range out.Profiles {
		out.Profiles[i].Dir = "" // where the cache is is not the client's business
	}
	return out, nil
}
