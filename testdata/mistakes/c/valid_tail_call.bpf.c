// valid: a tail call through a program array, with the fall-through path returning
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u32);
} jump SEC(".maps");

SEC("xdp")
int stage_two(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int stage_one(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jump, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
