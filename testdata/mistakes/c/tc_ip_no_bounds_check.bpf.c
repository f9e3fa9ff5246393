// mistake: a TC program checks the Ethernet header's bounds but not the IP header's
// clang: ok
// verifier: rejected: R1 offset is outside of the packet
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("tc")
int count_tcp(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return 0;
	struct iphdr *ip = (void *)(eth + 1);
	if (ip->protocol == 6) // want: KG524
		bpf_printk("tcp");
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
