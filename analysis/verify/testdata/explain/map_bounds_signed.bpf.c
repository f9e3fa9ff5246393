// class: program bug
// advice: negative
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct hist {
	u64 slots[32];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct hist);
} hists SEC(".maps");

SEC("tp/syscalls/sys_enter_read")
int bucket(void *ctx)
{
	u32 zero = 0;
	struct hist *h = bpf_map_lookup_elem(&hists, &zero);
	if (!h)
		return 0;
	int b = (int)bpf_get_prandom_u32();
	if (b >= 32) // fix: if (b < 0 || b >= 32)
		return 0;
	h->slots[b] += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
