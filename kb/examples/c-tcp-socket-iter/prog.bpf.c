#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

/* Every TCP socket on the machine, like a tiny ss: the iterator runs when
 * user space reads its file and prints one line per socket. */
SEC("iter/tcp")
int dump_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct seq_file *seq = ctx->meta->seq;
	u16 family, sport, dport;
	u8 state;

	if (ctx->meta->seq_num == 0)
		BPF_SEQ_PRINTF(seq, "family sport dport state\n");
	if (!skc)
		return 0;
	family = skc->skc_family;
	sport = skc->skc_num;
	dport = bpf_ntohs(skc->skc_dport);
	state = skc->skc_state;
	BPF_SEQ_PRINTF(seq, "%u %u %u %u\n", family, sport, dport, state);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
