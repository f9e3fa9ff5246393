#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/sched/sched_switch")
int not_gpl(void *ctx)
{
	u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), ctx); // want: KG602 "GPL"
	return v;
}

char LICENSE[] SEC("license") = "Proprietary";
