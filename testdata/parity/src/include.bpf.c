// Its header is in ../include, found only through the configured include
// directories (KGENT_INCLUDE_PATHS or includePaths). Read through them,
// it shows that the misspelled call below (bpf_ names are checked) is
// defined nowhere: an error every front reports the same way. Unread,
// the header might define it, and nothing is said.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "parity_helpers.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PARITY_MAX_ENTRIES);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int count_openat(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1, *n = bpf_map_lookup_elem(&counts, &pid);

	if (n)
		__sync_fetch_and_add(n, bpf_parity_scal(1));
	else
		bpf_map_update_elem(&counts, &pid, &one, BPF_ANY);
	return 0;
}
