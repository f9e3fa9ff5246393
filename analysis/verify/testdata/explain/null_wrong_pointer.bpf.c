// class: program bug
// advice: NULL
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} starts SEC(".maps"), totals SEC(".maps");

SEC("tp/sched/sched_switch")
int account(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid();
	u64 *start = bpf_map_lookup_elem(&starts, &pid);
	u64 *total = bpf_map_lookup_elem(&totals, &pid);
	if (!start) // fix: if (!start || !total)
		return 0;
	*total += bpf_ktime_get_ns() - *start;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
