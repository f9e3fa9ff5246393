// valid: bpf_printk with exactly three values
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_kill")
int on_kill(struct trace_event_raw_sys_enter *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	bpf_printk("kill %d -> %ld sig %ld", pid, ctx->args[0], ctx->args[1]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
