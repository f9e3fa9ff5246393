// class: program bug
// advice: bpf_ringbuf_reserve
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

SEC("tp/sched/sched_process_fork")
int on_fork(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	if (pid == 1) return 0; // fix: if (pid == 1) { bpf_ringbuf_discard(e, 0); return 0; }
	e->pid = pid;
	e->ts = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
