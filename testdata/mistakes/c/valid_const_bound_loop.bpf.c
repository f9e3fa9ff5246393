// valid: a loop over a run-time length, also bounded by a constant the verifier can see
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define MAX_BYTES 64

SEC("tracepoint/syscalls/sys_enter_write")
int sum_write(struct trace_event_raw_sys_enter *ctx)
{
	const char *buf = (const char *)ctx->args[1];
	u64 len = ctx->args[2];
	u64 sum = 0;
	for (u64 i = 0; i < MAX_BYTES && i < len; i++) {
		char c = 0;
		bpf_probe_read_user(&c, 1, buf + i);
		sum += c;
	}
	bpf_printk("sum %llu", sum);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
