#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

/* Outgoing IPv4 TCP connects: the socket is remembered at entry and the
 * event is sent at return, when the kernel has filled in the source port
 * and the result is known. */
struct event {
	u32 pid;
	int ret;
	u32 saddr;
	u32 daddr;
	u16 sport;
	u16 dport;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct sock *);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(connect_entry, struct sock *sk)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();

	bpf_map_update_elem(&pending, &tid, &sk, BPF_ANY);
	return 0;
}

SEC("kretprobe/tcp_v4_connect")
int BPF_KRETPROBE(connect_return, int ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct sock **skp = bpf_map_lookup_elem(&pending, &tid);
	struct event *e;

	if (!skp)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		struct sock *sk = *skp;

		e->pid = bpf_get_current_pid_tgid() >> 32;
		e->ret = ret;
		e->saddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		e->daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		bpf_get_current_comm(&e->comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
