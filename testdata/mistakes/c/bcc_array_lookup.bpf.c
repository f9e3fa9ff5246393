// mistake: bcc's BPF_ARRAY and .lookup() in a libbpf program
// clang: error: unexpected type name 'u64': expected identifier
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

BPF_ARRAY(syscalls, u64, 512); // want: KG502

SEC("raw_tracepoint/sys_enter")
int count_syscalls(struct bpf_raw_tracepoint_args *ctx)
{
	u32 id = ctx->args[1];
	u64 *n = syscalls.lookup(&id); // want: KG201
	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
