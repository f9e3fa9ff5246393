#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} packets SEC(".maps");

SEC("cgroup_skb/ingress")
int count_ingress(struct __sk_buff *skb)
{
	u32 key = 0;
	u64 *n = bpf_map_lookup_elem(&packets, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return 1; /* allow */
}

char LICENSE[] SEC("license") = "GPL";
