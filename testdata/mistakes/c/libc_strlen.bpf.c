// mistake: libc's strlen() in a BPF program
// clang: ok
// verifier: rejected: program on_execve does not load: Call at insn 7: symbol "strlen": unsatisfied program
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_execve")
int on_execve(struct trace_event_raw_sys_enter *ctx)
{
	char path[64];
	bpf_probe_read_user_str(path, sizeof(path), (const char *)ctx->args[0]);
	int n = strlen(path); // want: KG201
	bpf_printk("execve path of %d bytes", n);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
