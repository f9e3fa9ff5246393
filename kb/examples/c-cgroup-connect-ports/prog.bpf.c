#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

/* Outgoing IPv4 connects from a cgroup, counted by destination port.
 * Attached to a container's cgroup; returning 1 lets every connect go. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u16);
	__type(value, u64);
} by_port SEC(".maps");

SEC("cgroup/connect4")
int count_connect(struct bpf_sock_addr *ctx)
{
	u16 port = bpf_ntohs(ctx->user_port);
	u64 one = 1, *n;

	n = bpf_map_lookup_elem(&by_port, &port);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&by_port, &port, &one, BPF_NOEXIST);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
