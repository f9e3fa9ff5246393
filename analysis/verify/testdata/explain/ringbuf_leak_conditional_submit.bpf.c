// class: program bug
// advice: bpf_ringbuf_reserve
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	u32 pid;
	u32 uid;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_setuid")
int on_setuid(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = bpf_get_current_uid_gid();
	if (e->uid != 0) bpf_ringbuf_submit(e, 0); // fix: if (e->uid != 0) bpf_ringbuf_submit(e, 0); else bpf_ringbuf_discard(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
