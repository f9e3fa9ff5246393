// mistake: a loop bounded only by a length read at run time
// clang: ok
// verifier: rejected: BPF program is too large. Processed 1000001 insn
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_write")
int sum_write(struct trace_event_raw_sys_enter *ctx)
{
	const char *buf = (const char *)ctx->args[1];
	u64 len = ctx->args[2];
	u64 sum = 0;
	for (u64 i = 0; i < len; i++) { // want: KG523
		char c = 0;
		bpf_probe_read_user(&c, 1, buf + i);
		sum += c;
	}
	bpf_printk("sum %llu", sum);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
