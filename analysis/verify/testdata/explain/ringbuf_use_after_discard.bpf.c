// class: program bug
// advice: bpf_ringbuf_discard
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	u32 pid;
	u32 len;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} dropped SEC(".maps");

SEC("tp/syscalls/sys_enter_write")
int on_write(void *ctx)
{
	u32 zero = 0;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->len = bpf_get_prandom_u32();
	if (e->pid == 0) {
		bpf_ringbuf_discard(e, 0); // fix: u32 len = e->len; bpf_ringbuf_discard(e, 0);
		u64 *d = bpf_map_lookup_elem(&dropped, &zero);
		if (d)
			*d += e->len; // fix: *d += len;
		return 0;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
