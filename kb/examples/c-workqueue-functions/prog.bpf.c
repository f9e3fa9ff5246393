#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Work items executed by kernel workqueues, per work function. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 2048);
	__type(key, u64);
	__type(value, u64);
} runs SEC(".maps");

SEC("tp/workqueue/workqueue_execute_start")
int on_work(struct trace_event_raw_workqueue_execute_start *ctx)
{
	u64 fn = (u64)ctx->function;
	u64 one = 1, *n;

	n = bpf_map_lookup_elem(&runs, &fn);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&runs, &fn, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
