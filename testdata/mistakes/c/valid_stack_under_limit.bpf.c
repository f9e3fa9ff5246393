// valid: 480 bytes of stack buffers, close to but under the 512-byte limit
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_renameat2")
int on_rename(struct trace_event_raw_sys_enter *ctx)
{
	char oldname[240];
	char newname[240];
	bpf_probe_read_user_str(oldname, sizeof(oldname), (const char *)ctx->args[1]);
	bpf_probe_read_user_str(newname, sizeof(newname), (const char *)ctx->args[3]);
	bpf_printk("rename %s -> %s", oldname, newname);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
