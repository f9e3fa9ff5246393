// mistake: a syscall tracepoint that does not exist (sys_enter_open_at)
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_open_at") // want: KG304
int on_open(struct trace_event_raw_sys_enter *ctx)
{
	bpf_printk("open flags %ld", ctx->args[2]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
