// class: program bug
// advice: bpf_xdp_adjust_head
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int push_tag(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	u16 proto = eth->h_proto;
	if (bpf_xdp_adjust_head(ctx, -4)) // fix: if (bpf_xdp_adjust_head(ctx, -4)) return XDP_PASS; data = (void *)(long)ctx->data; data_end = (void *)(long)ctx->data_end; eth = data; if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	eth->h_proto = proto;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
