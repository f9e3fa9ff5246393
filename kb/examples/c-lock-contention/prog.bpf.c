#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Kernel lock contention: how long tasks wait for each contended lock,
 * from the lock:contention_begin/end BTF tracepoints. */
struct wait {
	u64 count;
	u64 total_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} waiting SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, struct wait);
} by_lock SEC(".maps");

SEC("tp_btf/contention_begin")
int BPF_PROG(contention_begin, void *lock, unsigned int flags)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&waiting, &tid, &now, BPF_ANY);
	return 0;
}

SEC("tp_btf/contention_end")
int BPF_PROG(contention_end, void *lock, int ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u64 *start = bpf_map_lookup_elem(&waiting, &tid);
	u64 key = (u64)lock;
	struct wait *w, zero = {};

	if (!start)
		return 0;
	w = bpf_map_lookup_elem(&by_lock, &key);
	if (!w) {
		bpf_map_update_elem(&by_lock, &key, &zero, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&by_lock, &key);
	}
	if (w) {
		__sync_fetch_and_add(&w->count, 1);
		__sync_fetch_and_add(&w->total_ns, bpf_ktime_get_ns() - *start);
	}
	bpf_map_delete_elem(&waiting, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
