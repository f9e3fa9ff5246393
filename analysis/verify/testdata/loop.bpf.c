#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/sched/sched_switch")
int spin(void *ctx)
{
	volatile u64 n = 0;
	while (n < 1) { // want: KG523 "loop"
		n = n;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
