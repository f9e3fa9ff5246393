#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/sched/sched_switch")
int big_stack(void *ctx) // want: KG601 "stack limit"
{
	char buf[600];
	bpf_get_current_comm(buf, sizeof(buf));
	return buf[0]; // want: KG601 "stack limit"
}

char LICENSE[] SEC("license") = "GPL";
