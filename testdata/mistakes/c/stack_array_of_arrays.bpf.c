// mistake: an array of path buffers on the stack (8 x 128 bytes)
// clang: error: looks like the BPF stack limit of 512 bytes is exceeded. Please move large on stack
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_execve")
int capture_argv(struct trace_event_raw_sys_enter *ctx) // want: KG505
{
	char argv[8][128];
	const char **args = (const char **)ctx->args[1];
	for (int i = 0; i < 8; i++) {
		const char *arg = 0;
		bpf_probe_read_user(&arg, sizeof(arg), &args[i]);
		if (!arg)
			break;
		bpf_probe_read_user_str(argv[i], sizeof(argv[i]), arg);
	}
	bpf_printk("%s %s", argv[0], argv[1]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
