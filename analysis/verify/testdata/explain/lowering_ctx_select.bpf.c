// class: compiler lowering
// advice: ctx
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tc")
int pick(struct __sk_buff *skb)
{
	u32 v;
	if (skb->len > 100)
		v = skb->mark; // fix: { v = skb->mark; asm volatile("" ::: "memory"); }
	else
		v = skb->priority;
	return v & 1;
}

char LICENSE[] SEC("license") = "GPL";
