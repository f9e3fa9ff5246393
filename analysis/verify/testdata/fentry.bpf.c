#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("fentry/tcp_v4_connect")
int BPF_PROG(on_connect, struct sock *sk) // want: KG604 "refuses to load fentry programs"
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
