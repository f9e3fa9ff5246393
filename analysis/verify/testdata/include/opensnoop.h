/* Shared between the BPF side and user space, as libbpf tools do. */
#ifndef OPENSNOOP_H
#define OPENSNOOP_H

#define TASK_COMM_LEN 16
#define NAME_MAX 255
#define MAX_SLOTS 26

struct event {
	__u64 ts;
	__u64 delta_ns;
	__u32 pid;
	__u32 uid;
	int ret;
	int flags;
	char comm[TASK_COMM_LEN];
	char fname[NAME_MAX];
};

#endif
