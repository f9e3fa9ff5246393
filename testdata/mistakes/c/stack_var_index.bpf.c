// mistake: a stack array indexed by a value from the context without a bounds check
// clang: ok
// verifier: rejected: invalid unbounded variable-offset read from stack R2
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_write")
int hist_fd(struct trace_event_raw_sys_enter *ctx)
{
	u64 hist[16] = {};
	u32 fd = ctx->args[0];
	hist[fd]++; // want: KG524
	bpf_printk("fd %d: %llu", fd, hist[0]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
