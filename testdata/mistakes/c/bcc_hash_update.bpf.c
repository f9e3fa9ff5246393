// mistake: bcc's map.update() on a libbpf map
// clang: error: no member named 'update'
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

SEC("tracepoint/sched/sched_wakeup")
int on_wakeup(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid();
	u64 ts = bpf_ktime_get_ns();
	start.update(&pid, &ts); // want: KG201
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
