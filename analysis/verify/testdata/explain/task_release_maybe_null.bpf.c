// class: program bug
// advice: NULL
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

struct args {
	int pid;
	int found;
};

SEC("syscall")
int probe_pid(struct args *a)
{
	struct task_struct *t = bpf_task_from_pid(a->pid); // fix: struct task_struct *t = bpf_task_from_pid(a->pid); if (!t) return 0;
	a->found = 1;
	bpf_task_release(t);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
