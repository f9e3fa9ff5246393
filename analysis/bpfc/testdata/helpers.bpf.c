// Helpers: invented, deprecated, not allowed for the program type.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(u32));
	__uint(value_size, 127 * sizeof(u64));
} stacks SEC(".maps");

SEC("tp/sched/sched_switch")
int on_switch(void *ctx)
{
	u64 id = bpf_get_current_pid();                 // want: KG201 "did you mean bpf_get_current_pid_tgid"
	u64 t = bpf_ktime_get_nss();                    // want: KG201 "bpf_ktime_get_ns"
	char buf[16];
	bpf_probe_read(buf, sizeof(buf), ctx);          // want: KG204 "bpf_probe_read_kernel"
	bpf_probe_read_kernel(buf, sizeof(buf), ctx);
	bpf_get_stackid(ctx, &stacks, 0);
	bpf_printk("switch %llu %llu", id, t);
	return 0;
}

SEC("xdp")
int drop_all(struct xdp_md *ctx)
{
	bpf_get_stackid(ctx, &stacks, 0);               // want: KG202 "not available in xdp"
	return XDP_PASS;
}

// The section name is not the program type: SEC("tc") and
// SEC("socket") load as sched_cls and socket_filter programs.
SEC("tc")
int tc_stack(struct __sk_buff *skb)
{
	bpf_get_stackid(skb, &stacks, 0);               // want: KG202 "not available in sched_cls programs"
	return 0;
}

SEC("socket")
int sock_stack(struct __sk_buff *skb)
{
	bpf_get_stackid(skb, &stacks, 0);               // want: KG202 "not available in socket_filter programs"
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
