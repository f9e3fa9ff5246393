#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800 /* from linux/if_ether.h, not in vmlinux.h */
#define TC_ACT_OK 0 /* from linux/pkt_cls.h */

/* Incoming TCP and UDP packets per destination port, counted by a tc
 * classifier on ingress; packets are never changed or dropped. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, u16);
	__type(value, u64);
} by_port SEC(".maps");

SEC("tc")
int ingress_ports(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct udphdr *l4;
	u64 one = 1, *n;
	u16 port;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return TC_ACT_OK;
	l4 = (void *)ip + ip->ihl * 4;
	if ((void *)(l4 + 1) > data_end)
		return TC_ACT_OK;
	/* TCP and UDP headers both start with source and destination port. */
	port = bpf_ntohs(l4->dest);
	n = bpf_map_lookup_elem(&by_port, &port);
	if (n)
		(*n)++;
	else
		bpf_map_update_elem(&by_port, &port, &one, BPF_NOEXIST);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
