// class: program bug
// advice: bounds check
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct slot {
	char buf[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct slot);
} slots SEC(".maps");

SEC("tp/syscalls/sys_enter_write")
int mark_byte(void *ctx)
{
	u32 zero = 0;
	struct slot *s = bpf_map_lookup_elem(&slots, &zero);
	if (!s)
		return 0;
	u32 idx = bpf_get_prandom_u32();
	if (idx > 64) // fix: if (idx >= 64)
		return 0;
	s->buf[idx] = 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
