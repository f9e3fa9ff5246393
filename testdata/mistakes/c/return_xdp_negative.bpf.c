// mistake: an XDP program returns -1 on error; it is not an XDP action
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int check_len(struct xdp_md *ctx)
{
	if (ctx->data_end - ctx->data < 14)
		return -1; // want: KG526
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
