// mistake: a hash map without max_entries
// clang: ok
// verifier: rejected: program on_openat does not load: map counts: map create: invalid argument (MaxEntries may
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps"); // want: KG502

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1;
	bpf_map_update_elem(&counts, &pid, &one, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
