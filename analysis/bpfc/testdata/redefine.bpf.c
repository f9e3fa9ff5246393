// Types of the program's own whose names vmlinux.h already uses: clang
// stops at "redefinition of 'key'".
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct key {                // want: KG407 "struct key is already defined by vmlinux.h"
	u32 pid;
	int cmd;
};

union bpf_attr {            // want: KG407 "union bpf_attr"
	int x;
};

struct my_key {
	u32 pid;
};

struct key *declared_only;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct my_key);
	__type(value, u64);
} counts SEC(".maps");

SEC("tp/syscalls/sys_enter_openat")
int on_open(void *ctx)
{
	struct my_key k = { .pid = bpf_get_current_pid_tgid() >> 32 };
	u64 one = 1;

	bpf_map_update_elem(&counts, &k, &one, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
