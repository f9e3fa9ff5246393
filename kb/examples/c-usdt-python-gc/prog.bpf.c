#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

/* Python garbage collections per process and generation, from the
 * interpreter's gc__start USDT probe (its argument is the generation). */
struct gc_key {
	u32 pid;
	int generation;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct gc_key);
	__type(value, u64);
} collections SEC(".maps");

SEC("usdt//usr/bin/python3.11:python:gc__start")
int BPF_USDT(gc_start, int generation)
{
	struct gc_key k = { .pid = bpf_get_current_pid_tgid() >> 32, .generation = generation };
	u64 one = 1, *n;

	n = bpf_map_lookup_elem(&collections, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&collections, &k, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
