// task_struct's state became __state in 5.14: a CO-RE read of the one
// the kernel lacks fails there (flavors keep both compiling everywhere).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

struct task_struct___new {
	unsigned int __state;
} __attribute__((preserve_access_index));

SEC("tp_btf/sched_switch")
int BPF_PROG(old_state, bool preempt, struct task_struct *prev)
{
	struct task_struct___old *t = (void *)prev;
	return BPF_CORE_READ(t, state) != 0; // on debian-6.1,debian-6.12,debian-sid: KG602 "state"
}

SEC("tp_btf/sched_switch")
int BPF_PROG(new_state, bool preempt, struct task_struct *prev)
{
	struct task_struct___new *t = (void *)prev;
	return BPF_CORE_READ(t, __state) != 0; // on debian-5.10: KG602 "__state"
}

char LICENSE[] SEC("license") = "GPL";
