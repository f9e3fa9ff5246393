// mistake: bcc's #include <linux/sched.h> for task_struct, beside vmlinux.h
// clang: error: in included file /usr/include/linux/posix_types.h:27:3: typedef redefinition with
// verifier: not reached
#include "vmlinux.h"
#include <linux/sched.h> // want: KG506
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

SEC("tracepoint/sched/sched_process_fork")
int on_fork(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	int ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_printk("fork, parent %d", ppid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
