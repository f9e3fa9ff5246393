// mistake: bcc's BPF_PERF_OUTPUT and .perf_submit() in a libbpf program
// clang: error: a parameter list without types is only allowed in a function definition
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	u32 pid;
	char comm[16];
};

BPF_PERF_OUTPUT(events); // want: KG502

SEC("tracepoint/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct event e = {};
	e.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	events.perf_submit(ctx, &e, sizeof(e)); // want: KG201
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
