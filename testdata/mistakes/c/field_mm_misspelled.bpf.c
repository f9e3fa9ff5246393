// mistake: a misspelled member (mm->arg_begin for arg_start)
// clang: error: no member named 'arg_begin' in 'struct mm_struct'
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

SEC("tracepoint/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	unsigned long args = BPF_CORE_READ(task, mm, arg_begin); // want: KG401
	bpf_printk("args at %lx", args);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
