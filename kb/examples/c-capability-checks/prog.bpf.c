#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Capability checks and their answers, per capability, from the
 * capability:cap_capable tracepoint (ret 0 means granted). */
struct cap_key {
	int cap;
	int granted;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct cap_key);
	__type(value, u64);
} checks SEC(".maps");

SEC("tp/capability/cap_capable")
int on_cap(struct trace_event_raw_cap_capable *ctx)
{
	struct cap_key k = { .cap = ctx->cap, .granted = ctx->ret == 0 };
	u64 one = 1, *n;

	n = bpf_map_lookup_elem(&checks, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&checks, &k, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
