// class: program bug
// advice: bpf_xdp_adjust_tail
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int trim(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	bpf_xdp_adjust_tail(ctx, -4); // fix: bpf_xdp_adjust_tail(ctx, -4); data = (void *)(long)ctx->data; data_end = (void *)(long)ctx->data_end; eth = data; if ((void *)(eth + 1) > data_end) return XDP_PASS;
	if (eth->h_dest[0] & 1)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
