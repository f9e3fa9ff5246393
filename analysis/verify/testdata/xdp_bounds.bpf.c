#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int read_eth(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	if (eth->h_proto == 0x0008) // want: KG524 "data_end"
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
