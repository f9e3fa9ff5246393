// mistake: PT_REGS_PARM2() on a syscall tracepoint's context
// clang: error: no member named 'si' in 'struct trace_event_raw_sys_enter'
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tracepoint/syscalls/sys_enter_openat")
int trace_openat(struct trace_event_raw_sys_enter *ctx)
{
	char path[64];
	const char *filename = (const char *)PT_REGS_PARM2(ctx); // want: KG406
	bpf_probe_read_user_str(path, sizeof(path), filename);
	bpf_printk("openat %s", path);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
