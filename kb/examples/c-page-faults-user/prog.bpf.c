#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* User-space page faults per process. The tracepoint's context is
 * declared here from its format (common fields, then address, ip,
 * error_code). */
struct page_fault_ctx {
	u64 common;
	unsigned long address;
	unsigned long ip;
	unsigned long error_code;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, u32);
	__type(value, u64);
} faults SEC(".maps");

SEC("tp/exceptions/page_fault_user")
int on_fault(struct page_fault_ctx *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1, *n;

	n = bpf_map_lookup_elem(&faults, &pid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&faults, &pid, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
