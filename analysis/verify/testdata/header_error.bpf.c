#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "include/broken.h" // want: KG601 "broken.h"

SEC("tp/sched/sched_switch")
int uses_header(void *ctx)
{
	return broken_helper();
}

char LICENSE[] SEC("license") = "GPL";
