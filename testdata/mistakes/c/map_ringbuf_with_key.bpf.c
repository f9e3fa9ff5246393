// mistake: a ring buffer map declared with a key and a value type
// clang: ok
// verifier: rejected: program on_exit does not load: map events: map create: invalid argument
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	u32 pid;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__type(key, u32); // want: KG502
	__type(value, struct event);
} events SEC(".maps");

SEC("tracepoint/sched/sched_process_exit")
int on_exit(void *ctx)
{
	struct event e = { .pid = bpf_get_current_pid_tgid() >> 32 };
	bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
