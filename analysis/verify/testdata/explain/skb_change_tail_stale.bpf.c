// class: program bug
// advice: bpf_skb_change_tail
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tc")
int pad(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return 0;
	if (bpf_skb_change_tail(skb, skb->len + 4, 0)) return 0; // fix: if (bpf_skb_change_tail(skb, skb->len + 4, 0)) return 0; data = (void *)(long)skb->data; data_end = (void *)(long)skb->data_end; eth = data; if ((void *)(eth + 1) > data_end) return 0;
	eth->h_dest[0] = 0xff;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
