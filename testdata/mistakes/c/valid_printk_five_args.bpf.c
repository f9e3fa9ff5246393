// valid: bpf_printk with five values: libbpf turns it into bpf_trace_vprintk, which this kernel has
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_mmap")
int on_mmap(struct trace_event_raw_sys_enter *ctx)
{
	bpf_printk("mmap %lx %ld %ld %ld %ld", ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3], ctx->args[4]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
