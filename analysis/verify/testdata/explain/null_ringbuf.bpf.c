// class: program bug
// advice: NULL
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	u32 pid;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0); // fix: struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0); if (!e) return 0;
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	e->pid = pid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
