// bpf_task_from_pid is a kfunc of 6.2 and later: 5.10 and 6.1 have no
// such function in their BTF.
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

SEC("tp_btf/sched_switch")
int BPF_PROG(find_init, bool preempt, struct task_struct *prev)
{
	struct task_struct *t = bpf_task_from_pid(1); // on debian-5.10,debian-6.1: KG602 "bpf_task_from_pid"
	if (t)
		bpf_task_release(t);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
