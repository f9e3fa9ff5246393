// mistake: a kernel pointer dereferenced directly in a tracepoint program (no BPF_CORE_READ)
// clang: ok
// verifier: rejected: R0 invalid mem access 'scalar'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/sched/sched_process_fork")
int on_fork(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	int ppid = task->real_parent->tgid; // want: KG522
	bpf_printk("fork, parent %d", ppid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
