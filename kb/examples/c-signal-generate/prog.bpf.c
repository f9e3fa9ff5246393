#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Every signal the kernel generates: who sent it, to whom, and whether
 * it was delivered, through a ring buffer. */
struct event {
	u32 sender;
	u32 target;
	int sig;
	int result;
	char sender_comm[16];
	char target_comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp/signal/signal_generate")
int on_signal(struct trace_event_raw_signal_generate *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->sender = bpf_get_current_pid_tgid() >> 32;
	e->target = ctx->pid;
	e->sig = ctx->sig;
	e->result = ctx->result;
	bpf_get_current_comm(&e->sender_comm, sizeof(e->sender_comm));
	bpf_probe_read_kernel_str(&e->target_comm, sizeof(e->target_comm), ctx->comm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
