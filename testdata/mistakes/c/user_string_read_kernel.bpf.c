// mistake: a syscall's user-space path read with bpf_probe_read_kernel_str
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct trace_event_raw_sys_enter *ctx)
{
	char path[128];
	long n = bpf_probe_read_kernel_str(path, sizeof(path), (const char *)ctx->args[1]); // want: KG406
	if (n > 0)
		bpf_printk("open %s", path);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
