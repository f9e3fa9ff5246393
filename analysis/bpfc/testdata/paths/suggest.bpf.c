// A field under another form than the one written: a syscall's argument
// by name in the generic sys_enter record, a __data_loc string, a member
// of an embedded struct the kernel's headers reach by a macro; a
// tracepoint under the wrong category.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

SEC("tp/syscalls/sys_enter_openat")
int byname(struct trace_event_raw_sys_enter *ctx)
{
	return ctx->flags;                                // want: KG401 "args[2]"
}

SEC("tp/sched/sched_process_exec")
int dataloc(struct trace_event_raw_sched_process_exec *ctx)
{
	char c = *(char *)ctx->filename;                  // want: KG401 "__data_loc"
	return c;
}

SEC("tp/sock/inet_sock_set_state")
int macro(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct sock *sk = (struct sock *)ctx->skaddr;
	return BPF_CORE_READ(sk, sk_num);                 // want: KG401 "__sk_common.skc_num"
}

SEC("tp/sched/sys_enter_close")                           // want: KG304 "syscalls/sys_enter_close"
int category(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
