// mistake: a kernel pointer from a raw tracepoint's args dereferenced directly
// clang: ok
// verifier: rejected: R1 invalid mem access 'scalar'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("raw_tracepoint/sched_process_exit")
int on_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *p = (struct task_struct *)ctx->args[0];
	int code = p->exit_code; // want: KG522
	if (code)
		bpf_printk("exit code %d", code);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
