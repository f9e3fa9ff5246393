// valid: two 512-byte path buffers that look like a stack overflow, in a per-CPU array used as scratch
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct paths {
	char oldname[512];
	char newname[512];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct paths);
} scratch SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_renameat2")
int on_rename(struct trace_event_raw_sys_enter *ctx)
{
	u32 zero = 0;
	struct paths *p = bpf_map_lookup_elem(&scratch, &zero);
	if (!p)
		return 0;
	bpf_probe_read_user_str(p->oldname, sizeof(p->oldname), (const char *)ctx->args[1]);
	bpf_probe_read_user_str(p->newname, sizeof(p->newname), (const char *)ctx->args[3]);
	bpf_printk("rename %s -> %s", p->oldname, p->newname);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
