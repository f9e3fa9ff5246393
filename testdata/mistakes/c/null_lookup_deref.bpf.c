// mistake: the value of bpf_map_lookup_elem() used without a NULL check
// clang: ok
// verifier: rejected: R0 invalid mem access 'map_value_or_null'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} writes SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_write")
int count_writes(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 *v = bpf_map_lookup_elem(&writes, &pid);
	*v += 1; // want: KG520
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
