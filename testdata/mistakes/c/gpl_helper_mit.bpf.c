// mistake: a GPL-only helper (bpf_probe_read_user_str) in a program licensed MIT
// clang: ok
// verifier: rejected: cannot call GPL-restricted function from non-GPL compatible program
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_execve")
int on_execve(struct trace_event_raw_sys_enter *ctx)
{
	char path[64];
	bpf_probe_read_user_str(path, sizeof(path), (const char *)ctx->args[0]); // want: KG203
	return path[0] == '/';
}

char LICENSE[] SEC("license") = "MIT";
