#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

/* Smoothed RTT per remote port from sock_ops: established connections
 * ask for RTT callbacks, and each callback records the latest srtt. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u32);
} srtt_by_port SEC(".maps");

SEC("sockops")
int track_rtt(struct bpf_sock_ops *skops)
{
	u32 port;
	u32 srtt;

	switch (skops->op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_RTT_CB_FLAG);
		break;
	case BPF_SOCK_OPS_RTT_CB:
		port = bpf_ntohl(skops->remote_port);
		srtt = skops->srtt_us >> 3;
		bpf_map_update_elem(&srtt_by_port, &port, &srtt, BPF_ANY);
		break;
	}
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
