// bpf_loop (helper 181) came with 5.17: 5.10's verifier does not know it.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

static long count(u32 i, void *ctx)
{
	*(u64 *)ctx += i;
	return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int loop_sum(void *ctx)
{
	u64 sum = 0;
	bpf_loop(8, count, &sum, 0); // on debian-5.10: KG602 "bpf_loop"
	return sum > 100;
}

char LICENSE[] SEC("license") = "GPL";
