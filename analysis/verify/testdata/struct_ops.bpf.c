#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/*
 * A TCP congestion control. Its programs are verified one by one without
 * creating the struct_ops map: creating it would register kgent_fixture_cc
 * with the kernel, which is attaching (TestStructOpsNotRegistered).
 */
static __noinline long bogus_address(void)
{
	return 8;
}

SEC("struct_ops/kg_ssthresh")
__u32 BPF_PROG(kg_ssthresh, struct sock *sk)
{
	const struct tcp_sock *tp = (struct tcp_sock *)sk;

	return tp->snd_cwnd > 4 ? tp->snd_cwnd / 2 : 2;
}

SEC("struct_ops/kg_cong_avoid")
void BPF_PROG(kg_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;

	tp->snd_cwnd = *(volatile __u32 *)bogus_address(); // want: KG522 "dereferences a number"
}

SEC("struct_ops/kg_undo_cwnd")
__u32 BPF_PROG(kg_undo_cwnd, struct sock *sk)
{
	return 10;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops kgent_fixture_cc = {
	.ssthresh = (void *)kg_ssthresh,
	.cong_avoid = (void *)kg_cong_avoid,
	.undo_cwnd = (void *)kg_undo_cwnd,
	.name = "kgent_fixture_cc",
};

char LICENSE[] SEC("license") = "GPL";
