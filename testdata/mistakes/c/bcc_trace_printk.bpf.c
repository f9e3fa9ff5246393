// mistake: bcc's three-argument bpf_trace_printk(fmt, arg, arg)
// clang: ok
// verifier: rejected: the verifier rejected the program: R2 invalid zero-sized read: u64=[0,4294967295]
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_kill")
int trace_kill(struct trace_event_raw_sys_enter *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	long target = ctx->args[0];
	bpf_trace_printk("kill from %d to %ld\n", pid, target); // want: KG206
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
