#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* A field some other kernel has: CO-RE cannot find it in this one. */
struct task_struct___other {
	int no_such_field;
} __attribute__((preserve_access_index));

SEC("tp_btf/sched_process_exec")
int on_exec(u64 *ctx)
{
	struct task_struct___other *o = (void *)ctx[0];
	return BPF_CORE_READ(o, no_such_field); // want: KG602 "no_such_field"
}

char LICENSE[] SEC("license") = "GPL";
