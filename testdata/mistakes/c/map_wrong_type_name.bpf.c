// mistake: a map type that does not exist (BPF_MAP_TYPE_HASHMAP)
// clang: error: use of undeclared identifier 'BPF_MAP_TYPE_HASHMAP'
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASHMAP); // want: KG502
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1;
	bpf_map_update_elem(&counts, &pid, &one, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
