// mistake: a kernel string (the task's comm) read with bpf_probe_read_user_str
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/sched/sched_process_fork")
int on_fork(void *ctx)
{
	char comm[16];
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	bpf_probe_read_user_str(comm, sizeof(comm), &task->comm); // want: KG406
	bpf_printk("fork in %s", comm);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
