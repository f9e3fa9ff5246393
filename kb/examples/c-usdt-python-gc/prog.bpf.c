#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* Python garbage collections per process, from the interpreter's
 * gc__start USDT probe. libbpf attaches the program at the probe's
 * address; the program does not read the probe's arguments, so it needs
 * nothing from <bpf/usdt.bpf.h> (whose BPF_USDT() would decode them). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} collections SEC(".maps");

SEC("usdt//usr/bin/python3.11:python:gc__start")
int gc_start(struct pt_regs *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1, *n;

	n = bpf_map_lookup_elem(&collections, &pid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&collections, &pid, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
