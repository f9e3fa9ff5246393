// valid: a kernel string read with bpf_probe_read_kernel_str into a buffer of its size
// clang: ok
// verifier: loaded
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

SEC("tracepoint/sched/sched_process_fork")
int on_fork(void *ctx)
{
	char name[32];
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	const unsigned char *dname = BPF_CORE_READ(task, mm, exe_file, f_path.dentry, d_name.name);
	long n = bpf_probe_read_kernel_str(name, sizeof(name), dname);
	if (n > 0)
		bpf_printk("fork of %s", name);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
