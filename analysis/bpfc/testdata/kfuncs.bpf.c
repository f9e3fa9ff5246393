// kfunc externs against the target's BTF.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern struct task_struct *bpf_task_acquire_all(struct task_struct *p) __ksym;   // want: KG205 "not a kfunc"
extern struct task_struct *bpf_task_from_pid(s32 pid, int extra) __ksym;          // want: KG205 "takes 1 argument"

SEC("tp_btf/sched_switch")
int on_switch(u64 *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1, 0);
	if (t)
		bpf_task_release(t);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
