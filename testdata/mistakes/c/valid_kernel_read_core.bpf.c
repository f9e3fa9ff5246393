// valid: a kernel pointer chain read with BPF_CORE_READ in a tracepoint, and ctx fields read directly
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

SEC("tracepoint/sched/sched_process_fork")
int on_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	int ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_printk("fork %d -> %d (parent %d)", ctx->parent_pid, ctx->child_pid, ppid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
