// mistake: libc's strcmp() to match the command name
// clang: ok
// verifier: rejected: program on_openat does not load: Call at insn 8: symbol "memcmp": unsatisfied program
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(void *ctx)
{
	char comm[16];
	bpf_get_current_comm(&comm, sizeof(comm));
	if (strcmp(comm, "bash") != 0) // want: KG201
		return 0;
	bpf_printk("bash opened a file");
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
