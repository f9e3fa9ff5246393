#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Bytes written through vfs_write, per process, with fexit: the return
 * value is the number of bytes written (or a negative errno). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} written SEC(".maps");

SEC("fexit/vfs_write")
int BPF_PROG(vfs_write_exit, struct file *file, const char *buf, size_t count, loff_t *pos, ssize_t ret)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 *sum, zero = 0;

	if (ret <= 0)
		return 0;
	sum = bpf_map_lookup_elem(&written, &pid);
	if (!sum) {
		bpf_map_update_elem(&written, &pid, &zero, BPF_NOEXIST);
		sum = bpf_map_lookup_elem(&written, &pid);
		if (!sum)
			return 0;
	}
	__sync_fetch_and_add(sum, ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
