// mistake: a map key passed by value instead of by pointer
// clang: ok
// verifier: rejected: R2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf,
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_read")
int on_read(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 *n = bpf_map_lookup_elem(&counts, pid); // want: KG406
	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
