// mistake: a tracepoint under the wrong category (sched/sys_enter_execve)
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/sched/sys_enter_execve") // want: KG304
int on_exec(void *ctx)
{
	bpf_printk("execve");
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
