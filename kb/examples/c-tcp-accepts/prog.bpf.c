#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

/* Accepted TCP connections, IPv4 and IPv6, from fexit on
 * inet_csk_accept: the returned socket is the new connection. */
struct event {
	u32 pid;
	u16 family;
	u16 lport;
	u16 rport;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("fexit/inet_csk_accept")
int BPF_PROG(accept_exit, struct sock *sk, struct proto_accept_arg *arg, struct sock *newsk)
{
	struct event *e;

	if (!newsk)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->family = newsk->__sk_common.skc_family;
	e->lport = newsk->__sk_common.skc_num;
	e->rport = bpf_ntohs(newsk->__sk_common.skc_dport);
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
