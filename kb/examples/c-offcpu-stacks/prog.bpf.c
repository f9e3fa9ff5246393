#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Off-CPU time by kernel stack: when a task is switched out its stack
 * and the time are kept; when it runs again the time off CPU is added to
 * that stack's total. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} off_since SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u32);
} off_stack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, sizeof(u32));
	__uint(value_size, 127 * sizeof(u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u64);
} off_ns SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u32 prev_pid = prev->pid, next_pid = next->pid;
	u64 now = bpf_ktime_get_ns(), *since, delta;
	u32 *sid;
	int id;

	if (prev_pid) {
		id = bpf_get_stackid(ctx, &stacks, 0);
		if (id >= 0) {
			u32 sid_val = id;

			bpf_map_update_elem(&off_since, &prev_pid, &now, BPF_ANY);
			bpf_map_update_elem(&off_stack, &prev_pid, &sid_val, BPF_ANY);
		}
	}
	since = bpf_map_lookup_elem(&off_since, &next_pid);
	sid = bpf_map_lookup_elem(&off_stack, &next_pid);
	if (since && sid) {
		u32 key = *sid;
		u64 *total = bpf_map_lookup_elem(&off_ns, &key);

		delta = now - *since;
		if (total)
			__sync_fetch_and_add(total, delta);
		else
			bpf_map_update_elem(&off_ns, &key, &delta, BPF_NOEXIST);
		bpf_map_delete_elem(&off_since, &next_pid);
		bpf_map_delete_elem(&off_stack, &next_pid);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
