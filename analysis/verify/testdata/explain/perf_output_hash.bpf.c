// class: program bug
// advice: BPF_MAP_TYPE_PERF_EVENT_ARRAY
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH); // fix: __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 64);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} perf_out SEC(".maps");

SEC("tp/syscalls/sys_enter_kill")
int on_kill(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	bpf_perf_event_output(ctx, &perf_out, BPF_F_CURRENT_CPU, &pid, sizeof(pid));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
