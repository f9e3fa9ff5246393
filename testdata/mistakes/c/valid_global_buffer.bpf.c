// valid: an 8 KiB array that is a global (in .bss), not a local on the stack
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char big_buffer[8192];

SEC("tracepoint/syscalls/sys_enter_write")
int on_write(struct trace_event_raw_sys_enter *ctx)
{
	bpf_probe_read_user(big_buffer, 256, (const void *)ctx->args[1]);
	bpf_printk("first byte %d", big_buffer[0]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
