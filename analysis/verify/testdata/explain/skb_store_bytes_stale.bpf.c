// class: program bug
// advice: bpf_skb_store_bytes
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tc")
int rewrite_mac(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return 0;
	unsigned char mac[6] = {2, 0, 0, 0, 0, 1};
	bpf_skb_store_bytes(skb, 0, mac, sizeof(mac), 0); // fix: bpf_skb_store_bytes(skb, 0, mac, sizeof(mac), 0); data = (void *)(long)skb->data; data_end = (void *)(long)skb->data_end; eth = data; if ((void *)(eth + 1) > data_end) return 0;
	if (eth->h_proto == 0)
		return 2;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
