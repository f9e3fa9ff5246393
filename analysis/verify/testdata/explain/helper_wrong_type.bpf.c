// class: environment
// advice: SEC(
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} bytes SEC(".maps");

SEC("socket") // fix: SEC("tc")
int count_bytes(struct __sk_buff *skb)
{
	u32 key = skb->ifindex;
	u64 *v = bpf_map_lookup_elem(&bytes, &key);
	if (v)
		__sync_fetch_and_add(v, skb->len);
	bpf_skb_store_bytes(skb, 0, &key, 1, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
