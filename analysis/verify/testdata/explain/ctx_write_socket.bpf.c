// class: program bug
// advice: SEC(
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("socket") // fix: SEC("tc")
int tag(struct __sk_buff *skb)
{
	if (skb->len > 1000)
		skb->mark = 42;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
