// mistake: a while (1) loop that walks a user string until NUL
// clang: ok
// verifier: rejected: The sequence of 8193 jumps is too complex.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_chdir")
int path_len(struct trace_event_raw_sys_enter *ctx)
{
	const char *p = (const char *)ctx->args[0];
	int n = 0;
	while (1) { // want: KG523
		char c;
		if (bpf_probe_read_user(&c, 1, p + n) < 0 || c == 0)
			break;
		n++;
	}
	bpf_printk("chdir len %d", n);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
