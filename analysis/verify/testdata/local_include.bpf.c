#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
/* Found through the file's own directory, although the buffer is compiled
 * in a temporary one. */
#include "include/opensnoop.h"

SEC("tp/sched/sched_switch")
int sizes(void *ctx)
{
	return sizeof(struct event) > 0 && TASK_COMM_LEN == 16 ? 0 : 1;
}

char LICENSE[] SEC("license") = "GPL";
