#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Which kernel timer callbacks run most often. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, u64);
} by_function SEC(".maps");

SEC("tp/timer/timer_expire_entry")
int on_expire(struct trace_event_raw_timer_expire_entry *ctx)
{
	u64 fn = (u64)ctx->function;
	u64 one = 1, *n;

	n = bpf_map_lookup_elem(&by_function, &fn);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&by_function, &fn, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
