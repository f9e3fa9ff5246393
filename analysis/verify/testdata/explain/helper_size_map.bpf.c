// class: program bug
// advice: bounds check
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct path_buf {
	char name[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct path_buf);
} scratch SEC(".maps");

SEC("tp/syscalls/sys_enter_unlinkat")
int copy_name(struct trace_event_raw_sys_enter *ctx)
{
	u32 zero = 0;
	struct path_buf *p = bpf_map_lookup_elem(&scratch, &zero);
	if (!p)
		return 0;
	u32 len = bpf_get_prandom_u32() & 0xff;
	if (len > 128) // fix: if (len > sizeof(p->name))
		return 0;
	bpf_probe_read_user_str(p->name, len, (void *)ctx->args[1]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
