#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/sched/sched_switch")
int broken(void *ctx)
{
	return undeclared_variable; // want: KG601 "undeclared"
}

char LICENSE[] SEC("license") = "GPL";
