// One syntax error, one finding; the rest is still checked.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/sched/sched_switch")
int on_switch(void *ctx)
{
	int x = (1 + ;                                        // want: KG100
	return 0;
}

SEC("tp/sched/sched_swich")                             // want: KG304
int other(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
