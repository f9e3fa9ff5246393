// valid: a cgroup_skb program that returns 0 and 1, the only values its type allows
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("cgroup_skb/egress")
int egress(struct __sk_buff *skb)
{
	if (skb->len > 65000)
		return 0;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
