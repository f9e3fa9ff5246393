// valid: sched_process_exec's filename read through its __data_loc offset
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/sched/sched_process_exec")
int on_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	char name[64];
	unsigned int off = ctx->__data_loc_filename & 0xFFFF;
	bpf_probe_read_kernel_str(name, sizeof(name), (void *)ctx + off);
	bpf_printk("exec %s", name);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
