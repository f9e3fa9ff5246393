// valid: a stack array indexed by a run-time value, masked to the array's size first
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_write")
int hist_fd(struct trace_event_raw_sys_enter *ctx)
{
	u64 hist[16] = {};
	u32 fd = ctx->args[0];
	if (fd >= 16)
		return 0;
	hist[fd]++;
	bpf_printk("fd %d: %llu", fd, hist[fd]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
