// 会话测试 😀: invented names after wide characters	(tab)
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tp/sched/sched_swich") // want: KG304 "sched_switch"
int on_switch(void *ctx)
{
	/* 中文 😀 */ u32 pid = bpf_get_current_pid(); // want: KG201 "bpf_get_current_pid_tgid"
	u64 one = 1;
	bpf_map_update_elem(&counts, &pid, &one, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p)
{
	return p->tgidd; // want: KG401 "tgid"
}

char LICENSE[] SEC("license") = "GPL";
