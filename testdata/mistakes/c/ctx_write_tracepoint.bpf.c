// mistake: writing to a tracepoint's context, which is read-only
// clang: ok
// verifier: rejected: invalid bpf_context access off=24 size=8
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_kill")
int block_kill(struct trace_event_raw_sys_enter *ctx)
{
	if (ctx->args[1] == 9)
		ctx->args[1] = 15; // want: KG525
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
