// SPDX-License-Identifier: GPL-2.0
/*
 * A typical libbpf tool, about 150 lines: trace openat() with its
 * latency and result, filtered by pid and uid, events to a ring buffer,
 * a latency histogram, per-command counts, process exits and execs, and
 * an XDP packet counter. Every program must load: no findings.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "include/opensnoop.h"

#define ETH_P_IP 0x0800

const volatile pid_t targ_tgid = 0;
const volatile uid_t targ_uid = (uid_t)-1;
const volatile __u64 min_ns = 0;

struct args_t {
	__u64 ts;
	const char *fname;
	int flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct args_t);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, u32);
	__type(value, u64);
} hist SEC(".maps");

struct comm_key {
	char comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct comm_key);
	__type(value, u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} packets SEC(".maps");

static __always_inline bool wanted(u32 tgid)
{
	if (targ_tgid && targ_tgid != tgid)
		return false;
	if (targ_uid != (uid_t)-1 && targ_uid != (u32)bpf_get_current_uid_gid())
		return false;
	return true;
}

static __always_inline u32 log2_slot(u64 v)
{
	u32 slot = 0;

	for (int i = 0; i < MAX_SLOTS - 1; i++) {
		if (v < 2)
			break;
		v >>= 1;
		slot++;
	}
	return slot;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int handle_enter(struct trace_event_raw_sys_enter *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32, tid = (u32)id;
	struct args_t args = {};

	if (!wanted(tgid))
		return 0;
	args.ts = bpf_ktime_get_ns();
	args.fname = (const char *)ctx->args[1];
	args.flags = (int)ctx->args[2];
	bpf_map_update_elem(&start, &tid, &args, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int handle_exit(struct trace_event_raw_sys_exit *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id, slot;
	struct args_t *ap;
	struct event *e;
	struct comm_key key = {};
	u64 delta, *cnt, one = 1;

	ap = bpf_map_lookup_elem(&start, &tid);
	if (!ap)
		return 0;
	delta = bpf_ktime_get_ns() - ap->ts;
	slot = log2_slot(delta / 1000);
	cnt = bpf_map_lookup_elem(&hist, &slot);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	if (delta < min_ns)
		goto cleanup;

	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	cnt = bpf_map_lookup_elem(&counts, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		goto cleanup;
	e->ts = ap->ts;
	e->delta_ns = delta;
	e->pid = id >> 32;
	e->uid = (u32)bpf_get_current_uid_gid();
	e->ret = ctx->ret;
	e->flags = ap->flags;
	__builtin_memcpy(e->comm, key.comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->fname, sizeof(e->fname), ap->fname);
	bpf_ringbuf_submit(e, 0);
cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	pid_t ppid = BPF_CORE_READ(p, real_parent, tgid);

	if (wanted(p->tgid))
		bpf_printk("exec %d (parent %d)", p->tgid, ppid);
	return 0;
}

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	u32 zero = 0;
	u64 *n;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	n = bpf_map_lookup_elem(&packets, &zero);
	if (n && eth->h_proto == bpf_htons(ETH_P_IP))
		*n += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
