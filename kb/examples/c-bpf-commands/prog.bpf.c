#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* bpf(2) commands by process: who loads programs, creates maps or reads
 * them. */
struct cmd_key {
	u32 pid;
	int cmd;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct cmd_key);
	__type(value, u64);
} calls SEC(".maps");

SEC("tp/syscalls/sys_enter_bpf")
int on_bpf(struct trace_event_raw_sys_enter *ctx)
{
	struct cmd_key k = { .pid = bpf_get_current_pid_tgid() >> 32, .cmd = (int)ctx->args[0] };
	u64 one = 1, *n;

	n = bpf_map_lookup_elem(&calls, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&calls, &k, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
