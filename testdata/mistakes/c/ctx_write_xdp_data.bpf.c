// mistake: moving the packet start by writing ctx->data instead of calling bpf_xdp_adjust_head
// clang: ok
// verifier: rejected: invalid bpf_context access off=0 size=4
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int strip(struct xdp_md *ctx)
{
	ctx->data += 14; // want: KG525
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
