#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* A program array initialised with its tail-call targets, as libbpf
 * allows: each program is verified on its own. */
SEC("xdp")
int target(struct xdp_md *ctx)
{
	return XDP_PASS;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(u32));
	__array(values, int (void *));
} jumps SEC(".maps") = {
	.values = { [0] = (void *)&target },
};

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jumps, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
