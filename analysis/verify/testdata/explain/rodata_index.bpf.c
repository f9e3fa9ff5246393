// class: program bug
// advice: bounds check
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/syscalls/sys_enter_dup")
int weights(void *ctx)
{
	u64 w[4] = {1, 2, 4, 8};
	u32 i = bpf_get_prandom_u32();
	if (i > 4) // fix: if (i > 3)
		return 0;
	return w[i] & 0xff;
}

char LICENSE[] SEC("license") = "GPL";
