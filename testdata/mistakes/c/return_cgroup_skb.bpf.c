// mistake: a cgroup_skb program returns TC_ACT_SHOT (2); the kernel wants 0 (drop) or 1 (allow)
// clang: ok
// verifier: rejected: At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

SEC("cgroup_skb/ingress")
int egress(struct __sk_buff *skb)
{
	if (skb->len > 1400)
		return TC_ACT_SHOT; // want: KG526
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
