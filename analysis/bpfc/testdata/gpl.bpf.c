// GPL-only helpers in a program whose license is not GPL-compatible.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_openat")
int on_open(struct trace_event_raw_sys_enter *ctx)
{
	char name[64];
	bpf_probe_read_user_str(name, sizeof(name), (void *)ctx->args[1]);  // want: KG203 "GPL-only"
	u64 now = bpf_ktime_get_ns();
	return now > 0;
}

char LICENSE[] SEC("license") = "Proprietary";
