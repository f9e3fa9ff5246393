#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Sizes requested from libc's malloc, as a log2 histogram kept per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} hist SEC(".maps");

SEC("uprobe//lib/x86_64-linux-gnu/libc.so.6:malloc")
int BPF_KPROBE(on_malloc, size_t size)
{
	u32 slot = 0;
	u64 *n;

	while (size > 1 && slot < 63) {
		size >>= 1;
		slot++;
	}
	n = bpf_map_lookup_elem(&hist, &slot);
	if (n)
		(*n)++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
