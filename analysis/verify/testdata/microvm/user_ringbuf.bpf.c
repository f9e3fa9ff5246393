// BPF_MAP_TYPE_USER_RINGBUF (31) came with 6.1: 5.10 cannot create it,
// so the object does not load there.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct bpf_dynptr;

struct {
	__uint(type, 31 /* BPF_MAP_TYPE_USER_RINGBUF */);
	__uint(max_entries, 4096);
} from_user SEC(".maps"); // on debian-5.10: KG602 "from_user"

static long drained(struct bpf_dynptr *p, void *ctx)
{
	return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int drain(void *ctx)
{
	bpf_user_ringbuf_drain(&from_user, drained, NULL, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
