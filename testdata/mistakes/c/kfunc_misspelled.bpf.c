// mistake: a misspelled kfunc (bpf_task_acquired for bpf_task_acquire)
// clang: ok
// verifier: rejected: program on_newtask does not load: the kernel has no kfunc bpf_task_acquired (fixing up
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern struct task_struct *bpf_task_acquired(struct task_struct *p) __ksym; // want: KG205
extern void bpf_task_release(struct task_struct *p) __ksym;

SEC("tp_btf/task_newtask")
int on_newtask(u64 *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx[0];
	struct task_struct *t = bpf_task_acquired(task);
	if (!t)
		return 0;
	bpf_task_release(t);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
