#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Counts files opened per inode with the BPF LSM file_open hook. It
 * audits only: returning 0 allows every open. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, u64);
	__type(value, u64);
} opens SEC(".maps");

SEC("lsm/file_open")
int BPF_PROG(audit_open, struct file *file)
{
	u64 ino = BPF_CORE_READ(file, f_inode, i_ino);
	u64 one = 1, *n;

	n = bpf_map_lookup_elem(&opens, &ino);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&opens, &ino, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
