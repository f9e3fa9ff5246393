// mistake: a ring buffer reservation that is never submitted or discarded
// clang: ok
// verifier: rejected: BPF_EXIT instruction in main prog would lead to reference leak
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	u32 pid;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("tracepoint/sched/sched_process_fork")
int on_fork(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0); // want: KG521
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
