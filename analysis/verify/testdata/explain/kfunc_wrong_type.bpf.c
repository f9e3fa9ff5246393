// class: environment
// advice: SEC(
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

SEC("socket") // fix: SEC("tc")
int owner_alive(struct __sk_buff *skb)
{
	struct task_struct *t = bpf_task_from_pid(1);
	if (!t)
		return 0;
	bpf_task_release(t);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
