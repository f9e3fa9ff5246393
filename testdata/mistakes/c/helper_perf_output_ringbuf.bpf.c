// mistake: bpf_perf_event_output() into a ring buffer map
// clang: ok
// verifier: rejected: cannot pass map_type 27 into func bpf_perf_event_output#25
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tracepoint/sched/sched_process_exit")
int on_exit(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &pid, sizeof(pid)); // want: KG406
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
