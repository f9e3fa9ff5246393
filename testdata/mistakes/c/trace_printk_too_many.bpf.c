// mistake: bpf_trace_printk() with four values (the helper takes at most three)
// clang: error: too many args to
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/sched/sched_process_exec")
int on_exec(void *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u64 ug = bpf_get_current_uid_gid();
	char fmt[] = "pid %d tid %d uid %d gid %d\n";
	bpf_trace_printk(fmt, sizeof(fmt), id >> 32, (u32)id, (u32)ug, ug >> 32); // want: KG206
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
