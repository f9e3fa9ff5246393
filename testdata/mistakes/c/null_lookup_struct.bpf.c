// mistake: a struct map value's fields written without a NULL check on the lookup
// clang: ok
// verifier: rejected: R0 invalid mem access 'map_value_or_null'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct stats {
	u64 calls;
	u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct stats);
} per_pid SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_write")
int on_write(struct trace_event_raw_sys_enter *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct stats *s = bpf_map_lookup_elem(&per_pid, &pid);
	s->calls++; // want: KG520
	s->bytes += ctx->args[2];
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
