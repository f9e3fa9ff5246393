// class: verifier limit
// advice: loop
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct cfg {
	u32 rounds;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct cfg);
} cfgs SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int spin(void *ctx)
{
	u32 zero = 0;
	struct cfg *c = bpf_map_lookup_elem(&cfgs, &zero);
	if (!c)
		return 0;
	u64 acc = bpf_get_prandom_u32();
	u32 n = c->rounds; // fix: u32 n = c->rounds & 63;
	for (u32 i = 0; i < n; i++) {
		acc = acc * 31 + i;
		if (acc == 7)
			acc = bpf_get_prandom_u32();
	}
	return acc & 1;
}

char LICENSE[] SEC("license") = "GPL";
