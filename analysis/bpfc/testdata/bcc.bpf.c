// bcc's dialect in a libbpf program: map macros, map methods, kernel
// headers next to vmlinux.h, bcc's bpf_trace_printk, PT_REGS on a
// tracepoint's context. Each is reported with the libbpf idiom.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <uapi/linux/ptrace.h>                          // want: KG506 "kernel header"

BPF_HASH(counts, u32, u64);                             // want: KG502 "bcc's map macro"
BPF_PERF_OUTPUT(events);                                // want: KG502 "BPF_PERF_OUTPUT"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, u32);
	__type(value, u64);
} starts SEC(".maps");

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_enter_openat")
int trace_open(struct trace_event_raw_sys_enter *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 zero = 0, *val;
	long fd = PT_REGS_PARM2(ctx);                       // want: KG406 "ctx->args"
	val = counts.lookup_or_try_init(&pid, &zero);       // want: KG201 "bcc map method"
	if (val)
		(*val)++;
	starts.update(&pid, &zero);                         // want: KG201 "bpf_map_update_elem"
	events.perf_submit(ctx, &pid, sizeof(pid));         // want: KG201 "bpf_perf_event_output"
	bpf_trace_printk("open %d\n", pid);                 // want: KG206 "bpf_printk"
	/* a comment saying counts.lookup(&pid) is not code */
	bpf_printk("fd %ld", fd);
	char fmt[] = "fd %ld";
	bpf_trace_printk(fmt, sizeof(fmt), fd);
	return 0;
}
