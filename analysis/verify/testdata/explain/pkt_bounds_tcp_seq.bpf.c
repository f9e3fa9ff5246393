// class: program bug
// advice: bounds check
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TC_ACT_OK 0

SEC("tc")
int seq_watch(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);
	if ((void *)tcp + 4 > data_end) // fix: if ((void *)(tcp + 1) > data_end)
		return TC_ACT_OK;
	if (ip->protocol != IPPROTO_TCP)
		return TC_ACT_OK;
	if (tcp->seq == 0)
		skb->mark = 1;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
