// mistake: bcc's map.increment() on a libbpf map
// clang: error: no member named 'increment'
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} opens SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int count_opens(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	opens.increment(pid); // want: KG201
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
