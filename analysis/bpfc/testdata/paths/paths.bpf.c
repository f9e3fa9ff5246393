// What the verifier proves about paths, checked on the syntax: NULL
// checks, ring buffer releases, kernel pointers in probe-read programs,
// packet and stack bounds, loop bounds, context writes, return values.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define SLOTS 8
#define TC_ACT_SHOT 2

struct val { u64 n; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, struct val);
} vals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("tp/syscalls/sys_enter_read")
int nulls(void *ctx)
{
	u32 k = 1;
	struct val *v = bpf_map_lookup_elem(&vals, &k);
	v->n++;                                           // want: KG520 "may be NULL"
	struct val *w = bpf_map_lookup_elem(&vals, &k);
	if (w)
		w->n++;
	u64 *e = bpf_ringbuf_reserve(&rb, 8, 0);
	if (!e)
		return 0;
	if (k == 2)
		return 1;                                 // want: KG521 "leaks"
	if (k == 3) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	*e = 1;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/syscalls/sys_enter_write")
int never(void *ctx)
{
	u64 *e = bpf_ringbuf_reserve(&rb, 8, 0);          // want: KG521 "never submitted"
	if (!e)
		return 0;
	return 0;
}

SEC("tp/sched/sched_process_fork")
int derefs(void *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	int a = t->tgid;                                  // want: KG522 "BPF_CORE_READ(t, tgid)"
	int b = BPF_CORE_READ(t, real_parent, tgid);
	char comm[16];
	bpf_probe_read_kernel(comm, sizeof(comm), &t->comm);
	bpf_probe_read_user_str(comm, sizeof(comm), t->comm); // want: KG406(warning) "kernel memory"
	return a + b + comm[0];
}

SEC("tp/syscalls/sys_enter_openat")
int strings(struct trace_event_raw_sys_enter *ctx)
{
	char p[32];
	bpf_probe_read_kernel_str(p, sizeof(p), (void *)ctx->args[1]); // want: KG406(warning) "user-space pointer"
	bpf_probe_read_user_str(p, sizeof(p), (void *)ctx->args[1]);
	ctx->args[0] = 0;                                 // want: KG525 "may not write"
	return p[0];
}

SEC("xdp")
int packets(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if (ip->ttl == 1)                                 // want: KG524 "data_end"
		return -1;                                // want: KG526(warning) "XDP action"
	return XDP_PASS;
}

SEC("tp/syscalls/sys_enter_close")
int loops(struct trace_event_raw_sys_enter *ctx)
{
	u64 slots[SLOTS] = {};
	u32 i = ctx->args[0];
	u64 n = ctx->args[1], m = ctx->args[2], s = 0;
	slots[i] = 1;                                     // want: KG524 "nothing bounding"
	for (u64 j = 0; j < n; j++)                       // want: KG523 "run-time value"
		s += j;
	if (m > 16)
		m = 16;
	for (u64 j = 0; j < m; j++)
		s += j;
	for (u64 j = 0; j < SLOTS && j < n; j++)
		s += slots[j];
	while (1) {                                       // want: KG523 "without a bound"
		if (s++ > 100)
			break;
	}
	return s;
}

SEC("cgroup_skb/ingress")
int verdict(struct __sk_buff *skb)
{
	if (skb->len > 100)
		return TC_ACT_SHOT;                       // want: KG526 "0 (drop) or 1"
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
