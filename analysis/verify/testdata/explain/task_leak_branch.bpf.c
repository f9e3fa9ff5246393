// class: program bug
// advice: bpf_task_from_pid
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

struct args {
	int pid;
	int tgid;
};

SEC("syscall")
int lookup_tgid(struct args *a)
{
	struct task_struct *t = bpf_task_from_pid(a->pid);
	if (!t)
		return -1;
	if (t->flags & 0x00200000) return -2; // fix: if (t->flags & 0x00200000) { bpf_task_release(t); return -2; }
	a->tgid = t->tgid;
	bpf_task_release(t);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
