// mistake: PT_REGS_RC() on a sys_exit tracepoint's context
// clang: error: no member named 'ax' in 'struct trace_event_raw_sys_exit'
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tracepoint/syscalls/sys_exit_read")
int read_exit(struct trace_event_raw_sys_exit *ctx)
{
	long ret = PT_REGS_RC(ctx); // want: KG406
	if (ret < 0)
		bpf_printk("read failed: %ld", ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
