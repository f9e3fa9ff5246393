#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("fentry/tcp_v4_connect") // want: KG604 "refuses to load"
int BPF_PROG(on_connect, struct sock *sk)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
