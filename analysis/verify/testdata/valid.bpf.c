#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tp/sched/sched_switch")
int count_switch(void *ctx)
{
	u32 key = bpf_get_smp_processor_id();
	u64 one = 1, *val = bpf_map_lookup_elem(&counts, &key);
	if (val)
		__sync_fetch_and_add(val, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	return 0;
}

SEC("xdp")
int pass_ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	return eth->h_proto == 0x0008 ? XDP_PASS : XDP_PASS;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	pid_t ppid = BPF_CORE_READ(p, real_parent, tgid);
	bpf_printk("exec %d", ppid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
