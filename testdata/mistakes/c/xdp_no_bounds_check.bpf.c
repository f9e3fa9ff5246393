// mistake: an XDP program reads the Ethernet header without checking it against data_end
// clang: ok
// verifier: rejected: R1 offset is outside of the packet
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int drop_ipv6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	if (eth->h_proto == bpf_htons(0x86DD)) // want: KG524
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
