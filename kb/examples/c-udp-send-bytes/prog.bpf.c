#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Bytes sent over UDP per process, from fentry on udp_sendmsg. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u64);
} sent SEC(".maps");

SEC("fentry/udp_sendmsg")
int BPF_PROG(udp_send, struct sock *sk, struct msghdr *msg, size_t len)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 *n, bytes = len;

	n = bpf_map_lookup_elem(&sent, &pid);
	if (n)
		*n += bytes;
	else
		bpf_map_update_elem(&sent, &pid, &bytes, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
