// Struct fields against BTF: BPF_CORE_READ chains, ->, '.' on a pointer,
// and BPF_KPROBE argument lists longer than the kernel's prototype.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	pid_t ppid = BPF_CORE_READ(p, real_parent, tgid);
	pid_t bad = BPF_CORE_READ(p, real_parent, ppid);    // want: KG401 "no field ppid"
	int prio = p->prio;
	int nope = p->priority;                             // want: KG401 "did you mean prio"
	int dot = p.pid;                                    // want: KG405 "use ->"
	struct mm_struct *mm = p->mm;
	unsigned long x = mm->total_vm;
	char comm[16];
	BPF_CORE_READ_STR_INTO(&comm, p, comm);
	BPF_CORE_READ_INTO(&x, p, mm, totl_vm);             // want: KG401 "total_vm"
	return ppid + bad + prio + nope + dot + x;
}

SEC("kprobe/tcp_v4_connect")                            // want: KG308
int BPF_KPROBE(conn, struct sock *sk, struct sockaddr *uaddr, int addr_len, int extra) // want: KG404 "3 argument"
{
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int tp(struct trace_event_raw_sys_enter *ctx)
{
	long fd = ctx->args[0];
	long id = ctx->idd;                                 // want: KG401 "id"
	return fd + id;
}

char LICENSE[] SEC("license") = "GPL";
