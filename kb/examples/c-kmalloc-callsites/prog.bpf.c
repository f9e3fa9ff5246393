#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Kernel heap allocation by call site: bytes and calls, summed per CPU
 * to stay cheap on a hot path; user space adds the CPUs up. */
struct stats {
	u64 calls;
	u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8192);
	__type(key, u64);
	__type(value, struct stats);
} by_site SEC(".maps");

SEC("tp/kmem/kmalloc")
int on_kmalloc(struct trace_event_raw_kmalloc *ctx)
{
	u64 site = ctx->call_site;
	struct stats *s, zero = {};

	s = bpf_map_lookup_elem(&by_site, &site);
	if (!s) {
		bpf_map_update_elem(&by_site, &site, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&by_site, &site);
		if (!s)
			return 0;
	}
	s->calls++;
	s->bytes += ctx->bytes_alloc;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
