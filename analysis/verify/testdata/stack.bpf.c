#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/sched/sched_switch")
int big_stack(void *ctx) // want: KG505 "stack limit"
{
	char buf[600];
	bpf_get_current_comm(buf, sizeof(buf));
	return buf[0]; /* clang reports here too: a related place of the one finding */
}

char LICENSE[] SEC("license") = "GPL";
