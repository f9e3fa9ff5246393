// class: program bug
// advice: bpf_ringbuf_submit
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	u32 pid;
	u64 ts;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/sched/sched_process_exit")
int on_exit(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_ringbuf_submit(e, 0); // fix: e->ts = bpf_ktime_get_ns(); bpf_ringbuf_submit(e, 0);
	e->ts = bpf_ktime_get_ns(); // fix:
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
