// mistake: bpf_map_update_elem() without its flags argument
// clang: error: too few arguments to function call, expected 4, have 3
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} seen SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int on_exec(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&seen, &pid, &ts); // want: KG206
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
