#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Packets the kernel drops, counted by drop reason: kfree_skb carries
 * the reason (enum skb_drop_reason). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 512);
	__type(key, u32);
	__type(value, u64);
} drops SEC(".maps");

SEC("tp/skb/kfree_skb")
int on_drop(struct trace_event_raw_kfree_skb *ctx)
{
	u32 reason = ctx->reason;
	u64 *n;

	n = bpf_map_lookup_elem(&drops, &reason);
	if (n)
		(*n)++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
