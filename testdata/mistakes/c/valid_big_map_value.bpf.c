// valid: a 4 KiB buffer looks like a stack overflow, but it lives in a per-CPU array map
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct scratch {
	char buf[4096];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct scratch);
} heap SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_write")
int big(void *ctx)
{
	u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&heap, &zero);
	if (!s)
		return 0;
	s->buf[0] = 1;
	s->buf[4095] = 2;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
