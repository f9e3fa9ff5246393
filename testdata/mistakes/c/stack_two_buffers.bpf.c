// mistake: two 300-byte buffers on the stack, each fine alone
// clang: error: looks like the BPF stack limit of 512 bytes is exceeded. Please move large on stack
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_renameat2")
int on_rename(struct trace_event_raw_sys_enter *ctx) // want: KG505
{
	char oldname[300];
	char newname[300];
	bpf_probe_read_user_str(oldname, sizeof(oldname), (const char *)ctx->args[1]);
	bpf_probe_read_user_str(newname, sizeof(newname), (const char *)ctx->args[3]);
	bpf_printk("rename %s -> %s", oldname, newname);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
