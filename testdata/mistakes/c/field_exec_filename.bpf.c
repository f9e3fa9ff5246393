// mistake: sched_process_exec's filename is a __data_loc field, not a member named filename
// clang: error: no member named 'filename' in 'struct trace_event_raw_sched_process_exec'
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/sched/sched_process_exec")
int on_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	char name[64];
	bpf_probe_read_kernel_str(name, sizeof(name), ctx->filename); // want: KG401
	bpf_printk("exec %s", name);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
