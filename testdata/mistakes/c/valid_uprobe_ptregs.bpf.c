// valid: PT_REGS_PARM1 in a uprobe, whose context is pt_regs, read with bpf_probe_read_user_str
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("uprobe//bin/bash:readline")
int on_readline(struct pt_regs *ctx)
{
	char prompt[32];
	bpf_probe_read_user_str(prompt, sizeof(prompt), (const void *)PT_REGS_PARM1(ctx));
	bpf_printk("readline prompt %s", prompt);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
