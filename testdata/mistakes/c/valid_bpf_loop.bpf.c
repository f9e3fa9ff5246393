// valid: a loop of a million iterations, through bpf_loop() and a callback
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct loop_ctx {
	u64 sum;
};

static long add_one(u32 index, void *data)
{
	struct loop_ctx *lc = data;
	lc->sum += index;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int spin(void *ctx)
{
	struct loop_ctx lc = {};
	bpf_loop(1000000, add_one, &lc, 0);
	bpf_printk("sum %llu", lc.sum);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
