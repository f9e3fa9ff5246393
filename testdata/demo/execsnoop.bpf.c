// What a model wrote for "print every exec with pid, parent pid and
// command, and count TCP connects". It invents a helper, a kernel function
// and a task_struct field, and uses kprobes on a kernel without them.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} connects SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	u32 pid = bpf_get_current_pid() >> 32; // want: KG201 "bpf_get_current_pid_tgid"
	pid_t ppid = BPF_CORE_READ(p, ppid); // want: KG401 "no field ppid"
	char comm[16];

	bpf_get_current_comm(&comm, sizeof(comm));
	bpf_printk("exec %d parent %d %s", pid, ppid, comm);
	return 0;
}

SEC("kprobe/tcp_connectx") // want: KG308 KG302 "tcp_connect"
int BPF_KPROBE(count_connect, struct sock *sk)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1, *n;

	n = bpf_map_lookup_elem(&connects, &pid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&connects, &pid, &one, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
