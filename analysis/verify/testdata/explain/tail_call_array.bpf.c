// class: program bug
// advice: BPF_MAP_TYPE_PROG_ARRAY
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY); // fix: __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u32);
} stages SEC(".maps");

SEC("xdp")
int stage0(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &stages, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
