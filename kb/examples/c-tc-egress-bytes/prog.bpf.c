#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} bytes SEC(".maps");

SEC("tc")
int egress_bytes(struct __sk_buff *skb)
{
	u32 proto = bpf_ntohs(skb->protocol);
	u64 len = skb->len, *n = bpf_map_lookup_elem(&bytes, &proto);
	if (n)
		__sync_fetch_and_add(n, len);
	else
		bpf_map_update_elem(&bytes, &proto, &len, BPF_ANY);
	return 0; /* TC_ACT_OK */
}

char LICENSE[] SEC("license") = "GPL";
