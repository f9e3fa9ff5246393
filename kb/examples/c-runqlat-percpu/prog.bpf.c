#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define SLOTS 32

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, u32);
	__type(value, u64);
} hist SEC(".maps");

static __always_inline u32 log2l(u64 v)
{
	u32 r = 0;
	for (int i = 0; i < 63 && v > 1; i++) {
		v >>= 1;
		r++;
	}
	return r;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(on_wakeup, struct task_struct *p)
{
	u32 pid = BPF_CORE_READ(p, pid);
	u64 now = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &pid, &now, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u32 pid = BPF_CORE_READ(next, pid);
	u64 *ts = bpf_map_lookup_elem(&start, &pid);
	if (!ts)
		return 0;
	u32 slot = log2l((bpf_ktime_get_ns() - *ts) / 1000);
	if (slot >= SLOTS)
		slot = SLOTS - 1;
	u64 *count = bpf_map_lookup_elem(&hist, &slot);
	if (count)
		*count += 1;
	bpf_map_delete_elem(&start, &pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
