// class: program bug
// advice: bpf_skb_change_proto
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("tc")
int to_v6(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return 0;
	if (bpf_skb_change_proto(skb, bpf_htons(0x86DD), 0)) // fix: if (bpf_skb_change_proto(skb, bpf_htons(0x86DD), 0)) return 0; data = (void *)(long)skb->data; data_end = (void *)(long)skb->data_end; eth = data; if ((void *)(eth + 1) > data_end)
		return 0;
	eth->h_proto = bpf_htons(0x86DD);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
