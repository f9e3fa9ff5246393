// class: program bug
// advice: BPF_MAP_TYPE_RINGBUF
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY); // fix: __uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
	__type(key, u32); // fix:
	__type(value, u64); // fix:
} out SEC(".maps");

SEC("tp/syscalls/sys_enter_mmap")
int on_mmap(void *ctx)
{
	u64 now = bpf_ktime_get_ns();
	bpf_ringbuf_output(&out, &now, sizeof(now), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
