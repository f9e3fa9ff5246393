// mistake: libc's malloc() for a large buffer in a BPF program
// clang: ok
// verifier: rejected: program on_write does not load: Call at insn 2: symbol "malloc": unsatisfied program
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_write")
int on_write(struct trace_event_raw_sys_enter *ctx)
{
	char *buf = malloc(1024); // want: KG201
	if (!buf)
		return 0;
	bpf_probe_read_user(buf, 1024, (const void *)ctx->args[1]);
	bpf_printk("write %c", buf[0]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
