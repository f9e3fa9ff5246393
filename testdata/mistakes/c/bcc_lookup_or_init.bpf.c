// mistake: bcc's map.lookup_or_try_init() on a libbpf map
// clang: error: no member named 'lookup_or_try_init'
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} bytes SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_write")
int count_write(struct trace_event_raw_sys_enter *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 zero = 0;
	u64 *total = bytes.lookup_or_try_init(&pid, &zero); // want: KG201
	if (total)
		__sync_fetch_and_add(total, ctx->args[2]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
