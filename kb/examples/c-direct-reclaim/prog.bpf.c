#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Direct reclaim stalls: how long allocating tasks reclaim memory
 * themselves under pressure, per command, summed in nanoseconds. */
struct stall {
	u64 count;
	u64 total_ns;
	u64 reclaimed;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} started SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[16]);
	__type(value, struct stall);
} stalls SEC(".maps");

SEC("tp/vmscan/mm_vmscan_direct_reclaim_begin")
int reclaim_begin(struct trace_event_raw_mm_vmscan_direct_reclaim_begin_template *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&started, &tid, &now, BPF_ANY);
	return 0;
}

SEC("tp/vmscan/mm_vmscan_direct_reclaim_end")
int reclaim_end(struct trace_event_raw_mm_vmscan_direct_reclaim_end_template *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u64 *start = bpf_map_lookup_elem(&started, &tid);
	struct stall *s, zero = {};
	char comm[16];

	if (!start)
		return 0;
	bpf_get_current_comm(&comm, sizeof(comm));
	s = bpf_map_lookup_elem(&stalls, &comm);
	if (!s) {
		bpf_map_update_elem(&stalls, &comm, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&stalls, &comm);
	}
	if (s) {
		__sync_fetch_and_add(&s->count, 1);
		__sync_fetch_and_add(&s->total_ns, bpf_ktime_get_ns() - *start);
		__sync_fetch_and_add(&s->reclaimed, ctx->nr_reclaimed);
	}
	bpf_map_delete_elem(&started, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
