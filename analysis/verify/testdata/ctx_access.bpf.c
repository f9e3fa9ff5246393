#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bad_ctx(struct xdp_md *ctx)
{
	ctx->data = 0; // want: KG602 "context"
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
