// valid: a lookup whose NULL case inserts a value and looks up again, each pointer checked before use
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 *v = bpf_map_lookup_elem(&counts, &pid);
	if (!v) {
		u64 zero = 0;
		bpf_map_update_elem(&counts, &pid, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&counts, &pid);
		if (!v)
			return 0;
	}
	__sync_fetch_and_add(v, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
