// valid: an XDP program that reads the IP header at a variable offset, after checking each header against data_end
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int drop_tcp_port(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(0x0800))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	u32 hlen = ip->ihl * 4;
	if (hlen < sizeof(*ip) || ip->protocol != 6)
		return XDP_PASS;
	struct tcphdr *tcp = (void *)ip + hlen;
	if ((void *)(tcp + 1) > data_end)
		return XDP_PASS;
	if (tcp->dest == bpf_htons(23))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
