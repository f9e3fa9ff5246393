// mistake: task_struct's state field, renamed __state in 5.14
// clang: error: no member named 'state' in 'struct task_struct'
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

SEC("tp_btf/sched_switch")
int on_switch(u64 *ctx)
{
	struct task_struct *prev = (struct task_struct *)ctx[1];
	long state = BPF_CORE_READ(prev, state); // want: KG401
	bpf_printk("prev state %ld", state);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
