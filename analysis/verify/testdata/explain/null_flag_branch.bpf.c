// class: program bug
// advice: NULL
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} hits SEC(".maps");

SEC("tp/syscalls/sys_enter_nanosleep")
int on_sleep(void *ctx)
{
	u32 cpu = bpf_get_smp_processor_id();
	u64 *v = bpf_map_lookup_elem(&hits, &cpu);
	if (cpu & 1) { // fix: if (!v) return 0; if (cpu & 1) {
		if (!v)
			return 0;
		*v += 2;
	}
	*v += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
