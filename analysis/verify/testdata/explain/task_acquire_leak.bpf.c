// class: program bug
// advice: bpf_task_acquire
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

struct args {
	int pid;
	int ppid;
};

SEC("syscall")
int parent_of(struct args *a)
{
	struct task_struct *t = bpf_task_from_pid(a->pid);
	if (!t)
		return -1;
	struct task_struct *held = bpf_task_acquire(t);
	bpf_task_release(t);
	if (!held)
		return -1;
	a->ppid = held->tgid;
	if (a->ppid == 1) return 1; // fix: if (a->ppid == 1) { bpf_task_release(held); return 1; }
	bpf_task_release(held);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
