// mistake: bpf_get_current_uid() does not exist (bpf_get_current_uid_gid)
// clang: ok
// verifier: rejected: program on_setuid does not load: Call at insn 1: symbol "bpf_get_current_uid":
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_setuid")
int on_setuid(struct trace_event_raw_sys_enter *ctx)
{
	u32 uid = bpf_get_current_uid(); // want: KG201
	bpf_printk("setuid(%ld) by uid %d", ctx->args[0], uid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
