// mistake: sk->sk_dport is a macro of the kernel's headers, not a field vmlinux.h has
// clang: error: no member named 'sk_dport' in 'struct sock'
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

SEC("tracepoint/sock/inet_sock_set_state")
int on_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct sock *sk = (struct sock *)ctx->skaddr;
	u16 dport = BPF_CORE_READ(sk, sk_dport); // want: KG401
	bpf_printk("dport %d", dport);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
