// valid: task_struct's old state field read through a flavor, only where bpf_core_field_exists says it is there
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	struct task_struct___old *old = (void *)t;
	if (bpf_core_field_exists(old->state))
		return BPF_CORE_READ(old, state); // want: KG401(warning)
	return BPF_CORE_READ(t, __state);
}

SEC("tracepoint/sched/sched_process_exit")
int on_exit(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	bpf_printk("exit in state %ld", task_state(task));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
