// Three small programs: the object of the verification benchmark.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

static void bump(u32 key)
{
	u64 one = 1, *v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
}

SEC("tp/syscalls/sys_enter_openat")
int on_openat(void *ctx)
{
	bump(bpf_get_current_pid_tgid() >> 32);
	return 0;
}

SEC("tp/syscalls/sys_enter_read")
int on_read(void *ctx)
{
	bump(1);
	return 0;
}

SEC("tp/syscalls/sys_enter_write")
int on_write(void *ctx)
{
	bump(2);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
