// Fields, helpers and kfuncs a kernel may lack, used where the program
// keeps them from running there (existence tests, an early return,
// version tests, ___flavor structs, __weak externs): warnings, not
// errors. The host kernel has task_struct's __state, not state.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "inc/guards.bpf.h"

extern int LINUX_KERNEL_VERSION __kconfig;
extern struct task_struct *bpf_task_from_pid_x(s32 pid) __ksym __weak; // want: KG205(warning) "__weak"
extern struct task_struct *bpf_task_from_pid_y(s32 pid) __ksym;        // want: KG205(error) "not a kfunc"

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

static __always_inline bool has_state(void)
{
	return bpf_core_field_exists(struct task_struct___old, state);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(inside, bool preempt, struct task_struct *prev)
{
	long s = 0;

	if (bpf_core_field_exists(prev->state))
		s = BPF_CORE_READ(prev, state);        // want: KG401(warning) "inside a test"
	else
		s = BPF_CORE_READ(prev, __state);
	s += bpf_core_field_exists(prev->state) ? prev->state : 0; // want: KG401(warning) "inside a test"
	if (has_state())
		s += BPF_CORE_READ(prev, state);       // want: KG401(warning) "provides for it"
	if (header_has_state())
		s += BPF_CORE_READ(prev, state);       // want: KG401(warning) "provides for it"
	if (LINUX_KERNEL_VERSION < KERNEL_VERSION(5, 14, 0))
		s += prev->state;                      // want: KG401(warning) "provides for it"
	return s;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(early, bool preempt, struct task_struct *prev)
{
	if (!bpf_core_field_exists(prev->state))
		return 0;
	return BPF_CORE_READ(prev, state);             // want: KG401(warning) "earlier return"
}

SEC("tp_btf/sched_switch")
int BPF_PROG(fallback, bool preempt, struct task_struct *prev)
{
	struct task_struct___old *old = (void *)prev;

	if (bpf_core_field_exists(prev->__state))
		return BPF_CORE_READ(prev, __state);
	return old->state;                             // want: KG401(warning) "fallback"
}

SEC("tp_btf/sched_switch")
int BPF_PROG(flavor, bool preempt, struct task_struct *prev)
{
	struct task_struct___old *old = (void *)prev;

	return old->state + old->prio;                 // want: KG401(warning) "task_struct___old is a flavor"
}

SEC("tp_btf/sched_switch")
int BPF_PROG(unguarded, bool preempt, struct task_struct *prev)
{
	if (!bpf_core_field_exists(prev->__state))
		return 0;
	return prev->state;                            // want: KG401(error) "it is __state on this kernel"
}

SEC("tp_btf/sched_switch")
int BPF_PROG(calls, bool preempt, struct task_struct *prev)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_func_ip_x))
		bpf_get_func_ip_x(ctx);                // want: KG201(warning) "provides for it"
	bpf_get_func_ip_y(ctx);                        // want: KG201(error) "unknown helper"
	if (bpf_ksym_exists(bpf_task_from_vpid_x)) {
		struct task_struct *t = bpf_task_from_vpid_x(1); // want: KG201(warning) "provides for it"
		bpf_task_release_x(t);                 // want: KG201(warning) "provides for it"
	}
	if (bpf_ksym_exists(bpf_task_from_pid_x))
		bpf_task_from_pid_x(1);
	// Declared by a vmlinux.h a recent bpftool generated.
	bpf_task_from_pid(1);                          // want: KG205(warning) "is a kfunc"
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
