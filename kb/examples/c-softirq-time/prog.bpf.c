#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Time spent in each softirq vector (timer, net rx, ...), summed per CPU:
 * entry time per CPU, duration added at exit. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} entered SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} time_ns SEC(".maps");

SEC("tp/irq/softirq_entry")
int softirq_in(struct trace_event_raw_softirq *ctx)
{
	u32 zero = 0;
	u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&entered, &zero, &now, BPF_ANY);
	return 0;
}

SEC("tp/irq/softirq_exit")
int softirq_out(struct trace_event_raw_softirq *ctx)
{
	u32 zero = 0, vec = ctx->vec;
	u64 *start = bpf_map_lookup_elem(&entered, &zero);
	u64 *sum;

	if (!start || !*start)
		return 0;
	sum = bpf_map_lookup_elem(&time_ns, &vec);
	if (sum)
		*sum += bpf_ktime_get_ns() - *start;
	*start = 0;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
