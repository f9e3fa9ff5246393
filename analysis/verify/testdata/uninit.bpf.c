#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/sched/sched_switch")
int uninit(void *ctx)
{
	u64 v;
	/* r7 is never written before this read. */
	asm volatile("%[v] = r7" : [v] "=r"(v)); // want: KG602 "uninitialised"
	return v;
}

char LICENSE[] SEC("license") = "GPL";
