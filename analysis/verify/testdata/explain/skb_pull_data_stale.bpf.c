// class: program bug
// advice: bpf_skb_pull_data
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tc")
int pull(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return 0;
	bpf_skb_pull_data(skb, 64); // fix: bpf_skb_pull_data(skb, 64); data = (void *)(long)skb->data; data_end = (void *)(long)skb->data_end; eth = data; if ((void *)(eth + 1) > data_end) return 0;
	if (eth->h_source[0] == 0)
		skb->mark = 7;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
