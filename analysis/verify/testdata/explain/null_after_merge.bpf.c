// class: program bug
// advice: NULL
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tp/syscalls/sys_enter_close")
int count_close(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 zero = 0;
	u64 *c = bpf_map_lookup_elem(&counts, &pid);
	if (!c) {
		bpf_map_update_elem(&counts, &pid, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&counts, &pid); // fix: c = bpf_map_lookup_elem(&counts, &pid); if (!c) return 0;
	}
	__sync_fetch_and_add(c, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
