// mistake: bcc's #include <uapi/linux/ptrace.h> next to vmlinux.h
// clang: error: 'uapi/linux/ptrace.h' file not found
// verifier: not reached
#include "vmlinux.h"
#include <uapi/linux/ptrace.h> // want: KG506
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_execve")
int on_execve(void *ctx)
{
	bpf_printk("execve by %d", bpf_get_current_pid_tgid() >> 32);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
