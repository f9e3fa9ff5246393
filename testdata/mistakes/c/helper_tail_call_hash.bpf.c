// mistake: bpf_tail_call() through a hash map instead of a program array
// clang: ok
// verifier: rejected: expected prog array map for tail call
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u32);
} handlers SEC(".maps");

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &handlers, 0); // want: KG406
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
