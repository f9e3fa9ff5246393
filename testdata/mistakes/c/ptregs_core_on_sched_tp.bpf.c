// mistake: PT_REGS_PARM1_CORE() to read sched_switch's prev task from a tracepoint context
// clang: error: no member named 'di' in 'struct trace_event_raw_sched_switch'
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

SEC("tracepoint/sched/sched_switch")
int on_switch(struct trace_event_raw_sched_switch *ctx)
{
	u64 prev = PT_REGS_PARM1_CORE(ctx); // want: KG406
	bpf_printk("switch from %llu", prev);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
