// Local buffers over the 512-byte BPF stack.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/syscalls/sys_enter_write")
int big(void *ctx)                                      // want: KG505 "520 bytes"
{
	char path[256];
	char comm[16];
	u64 vals[31];
	path[0] = comm[0] = vals[0] = 0;
	return path[0];
}

SEC("tp/syscalls/sys_enter_read")
int small(void *ctx)
{
	char buf[256];
	buf[0] = 0;
	return buf[0];
}

char LICENSE[] SEC("license") = "GPL";
