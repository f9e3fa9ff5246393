// Programs the path checks must leave alone: the verifier accepts each.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct event {
	u32 pid;
	u16 port;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

// Submitted inside if (e): the path around the branch has e == NULL.
SEC("tp/sched/sched_process_exec")
int exec_event(void *ctx)
{
	struct event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

// The same with an explicit comparison.
SEC("tp/sched/sched_process_exit")
int exit_event(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(struct event), 0);

	if (e != NULL) {
		e->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_ringbuf_discard(e, 0);
	}
	return 0;
}

// sizeof(*eth) reads no packet byte: the bound is checked before any read.
SEC("xdp")
int port_of(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);

	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(0x0800))
		return XDP_PASS;
	return ip->protocol == 6 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
