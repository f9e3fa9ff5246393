#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* How long TCP connections live: the time a socket leaves CLOSE is kept,
 * and when it returns to CLOSE the lifetime goes to user space. */
struct event {
	u64 lifetime_ns;
	u16 family;
	u16 sport;
	u16 dport;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, const void *);
	__type(value, u64);
} born SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

#define TCP_CLOSE_STATE 7

SEC("tp/sock/inet_sock_set_state")
int on_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	const void *sk = ctx->skaddr;
	u64 now = bpf_ktime_get_ns(), *start;
	struct event *e;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (ctx->oldstate == TCP_CLOSE_STATE) {
		bpf_map_update_elem(&born, &sk, &now, BPF_ANY);
		return 0;
	}
	if (ctx->newstate != TCP_CLOSE_STATE)
		return 0;
	start = bpf_map_lookup_elem(&born, &sk);
	if (!start)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->lifetime_ns = now - *start;
		e->family = ctx->family;
		e->sport = ctx->sport;
		e->dport = ctx->dport;
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&born, &sk);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
