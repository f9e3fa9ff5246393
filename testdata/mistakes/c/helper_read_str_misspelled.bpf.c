// mistake: bpf_probe_read_user_string() does not exist (bpf_probe_read_user_str)
// clang: ok
// verifier: rejected: program on_chdir does not load: Call at insn 5: symbol "bpf_probe_read_user_string":
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_chdir")
int on_chdir(struct trace_event_raw_sys_enter *ctx)
{
	char dir[128];
	bpf_probe_read_user_string(dir, sizeof(dir), (const char *)ctx->args[0]); // want: KG201
	bpf_printk("chdir %s", dir);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
