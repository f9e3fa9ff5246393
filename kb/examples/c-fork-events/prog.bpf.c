#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* New processes and threads as they are forked, with parent and child,
 * from the BTF tracepoint that passes both task_structs. */
struct event {
	u32 parent_pid;
	u32 child_pid;
	u32 child_tid;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	struct event e = {};

	e.parent_pid = parent->tgid;
	e.child_pid = child->tgid;
	e.child_tid = child->pid;
	__builtin_memcpy(e.comm, parent->comm, sizeof(e.comm));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
