#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16);
	__uint(key_size, sizeof(u32));
	__uint(value_size, 127 * sizeof(u64));
} stacks SEC(".maps");

SEC("xdp")
int stack_in_xdp(struct xdp_md *ctx)
{
	bpf_get_stackid(ctx, &stacks, 0); // want: KG202 "not allowed"
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
