// class: program bug
// advice: BPF_MAP_TYPE_STACK_TRACE
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY); // fix: __uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(u32));
	__uint(value_size, 127 * sizeof(u64));
} stacks SEC(".maps");

SEC("tp/sched/sched_wakeup")
int on_wakeup(void *ctx)
{
	long id = bpf_get_stackid(ctx, &stacks, 0);
	return id < 0;
}

char LICENSE[] SEC("license") = "GPL";
