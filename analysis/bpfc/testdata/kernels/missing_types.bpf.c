// Structs the program expects from vmlinux.h that a kernel's BTF lacks:
// clang refuses what needs their definition on that kernel (a field
// read, a variable of it, a program macro's parameter of it) and accepts
// a pointer that is only passed along.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

// kmem:kmalloc's class was kmem_alloc before 6.0.
SEC("tp/kmem/kmalloc")
int on_kmalloc(struct trace_event_raw_kmalloc *ctx) // want[debian-5.10]: KG403 "context struct for kmem:kmalloc is trace_event_raw_kmem_alloc"
{
	return ctx->bytes_alloc > 4096;
}

// struct proto_accept_arg is 6.10's; BPF_PROG declares its parameters twice.
SEC("fexit/inet_csk_accept")
int BPF_PROG(accepted, struct sock *sk, struct proto_accept_arg *arg, struct sock *newsk) // want[debian-5.10 debian-6.1]: KG403 "conflicting types"
{
	return newsk != 0;
}

// Only passed along: an incomplete type is enough.
static __always_inline int seen(struct proto_accept_arg *arg) { return arg != 0; }

SEC("kprobe/inet_csk_accept")
int BPF_KPROBE(accept_entry, struct sock *sk, void *arg)
{
	return seen((struct proto_accept_arg *)arg);
}

// A struct the program defines itself is never the kernel's.
struct my_event {
	u32 pid;
};

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct my_event e = {};
	e.pid = bpf_get_current_pid_tgid() >> 32;
	return e.pid == 0;
}

char LICENSE[] SEC("license") = "GPL";
