#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tp/sched/sched_switch")
int count_switch(void *ctx)
{
	u32 key = bpf_get_smp_processor_id();
	u64 *val = bpf_map_lookup_elem(&counts, &key);
	*val += 1; // want: KG520 "checked for NULL"
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
