// mistake: bpf_get_current_pid() does not exist (bpf_get_current_pid_tgid)
// clang: ok
// verifier: rejected: program on_getpid does not load: Call at insn 0: symbol "bpf_get_current_pid":
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
	u32 pid = bpf_get_current_pid() >> 32; // want: KG201
	bpf_printk("getpid from %d", pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
