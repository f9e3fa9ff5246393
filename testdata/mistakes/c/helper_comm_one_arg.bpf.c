// mistake: bpf_get_current_comm() without the buffer size
// clang: error: too few arguments to function call, expected 2, have 1
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_execve")
int on_execve(void *ctx)
{
	char comm[16];
	bpf_get_current_comm(comm); // want: KG206
	bpf_printk("execve from %s", comm);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
