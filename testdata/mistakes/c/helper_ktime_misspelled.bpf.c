// mistake: bpf_ktime_get_nsec() does not exist (bpf_ktime_get_ns)
// clang: ok
// verifier: rejected: program on_sleep does not load: Call at insn 2: symbol "bpf_ktime_get_nsec": unsatisfied
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_nanosleep")
int on_sleep(void *ctx)
{
	u32 tid = bpf_get_current_pid_tgid();
	u64 ts = bpf_ktime_get_nsec(); // want: KG201
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
