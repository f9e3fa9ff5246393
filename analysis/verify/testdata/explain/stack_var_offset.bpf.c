// class: program bug
// advice: bounds check
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} out SEC(".maps");

SEC("tp/syscalls/sys_enter_openat")
int scribble(void *ctx)
{
	char buf[16] = {};
	u32 i = bpf_get_prandom_u32();
	if (i > 16) // fix: if (i >= 16)
		return 0;
	buf[i] = 'x';
	bpf_ringbuf_output(&out, buf, sizeof(buf), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
