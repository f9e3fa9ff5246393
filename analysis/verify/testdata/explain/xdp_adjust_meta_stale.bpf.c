// class: program bug
// advice: bpf_xdp_adjust_meta
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int add_meta(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (bpf_xdp_adjust_meta(ctx, -4)) return XDP_PASS; // fix: if (bpf_xdp_adjust_meta(ctx, -4)) return XDP_PASS; data = (void *)(long)ctx->data; data_end = (void *)(long)ctx->data_end; eth = data; if ((void *)(eth + 1) > data_end) return XDP_PASS;
	return eth->h_proto == 0 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
