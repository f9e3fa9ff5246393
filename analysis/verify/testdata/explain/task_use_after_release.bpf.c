// class: program bug
// advice: bpf_task_release
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

struct args {
	int pid;
	int nice;
};

SEC("syscall")
int read_nice(struct args *a)
{
	struct task_struct *t = bpf_task_from_pid(a->pid);
	if (!t)
		return -1;
	bpf_task_release(t); // fix: a->nice = t->static_prio - 120; bpf_task_release(t);
	a->nice = t->static_prio - 120; // fix:
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
