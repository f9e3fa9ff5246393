#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Sizes of packets handed to network devices, as a log2 histogram of
 * bytes. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 32);
	__type(key, u32);
	__type(value, u64);
} sizes SEC(".maps");

SEC("tp/net/net_dev_xmit")
int on_xmit(struct trace_event_raw_net_dev_xmit *ctx)
{
	u32 len = ctx->len, slot = 0;
	u64 *n;

	if (ctx->rc != 0)
		return 0; /* not transmitted */
	while (len > 1 && slot < 31) {
		len >>= 1;
		slot++;
	}
	n = bpf_map_lookup_elem(&sizes, &slot);
	if (n)
		(*n)++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
