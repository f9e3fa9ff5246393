#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/*
 * Each function stays under 512 bytes, so clang accepts it; the verifier
 * adds up the frames of the call chain (XDP has no private stack).
 */
static __noinline int inner(int x)
{
	volatile char buf[400];
	buf[x & 63] = 1;
	return buf[(x + 1) & 63];
}

static __noinline int outer(int x)
{
	volatile char buf[300];
	buf[x & 63] = 1;
	return inner(buf[(x + 2) & 63]);
}

SEC("xdp")
int combined(struct xdp_md *ctx) // want: KG505 "512 bytes of stack"
{
	return outer(ctx->ingress_ifindex) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
