// mistake: a bcc map macro in a libbpf program
// clang: error: unexpected type name 'u32': expected identifier
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

BPF_HASH(counts, u32, u64); // want: KG502

SEC("tracepoint/syscalls/sys_enter_openat")
int count_open(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1;
	bpf_map_update_elem(&counts, &pid, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
