// mistake: a syscall argument read by name from the generic sys_enter record
// clang: error: no member named 'filename' in 'struct trace_event_raw_sys_enter'
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct trace_event_raw_sys_enter *ctx)
{
	char path[128];
	bpf_probe_read_user_str(path, sizeof(path), (const char *)ctx->filename); // want: KG401
	bpf_printk("open %s", path);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
