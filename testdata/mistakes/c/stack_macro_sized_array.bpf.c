// mistake: a stack array whose dimensions are macros (4 x 256 bytes)
// clang: error: looks like the BPF stack limit of 512 bytes is exceeded. Please move large on stack
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define MAX_DEPTH 4
#define NAME_LEN 256

SEC("tracepoint/syscalls/sys_enter_unlinkat")
int on_unlink(struct trace_event_raw_sys_enter *ctx) // want: KG505
{
	char names[MAX_DEPTH][NAME_LEN];
	bpf_probe_read_user_str(names[0], NAME_LEN, (const char *)ctx->args[1]);
	names[MAX_DEPTH - 1][0] = 0;
	bpf_printk("unlink %s %s", names[0], names[MAX_DEPTH - 1]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
