// Helper calls clang lets through or words poorly: argument counts, the
// map a helper needs, keys passed by value, libc functions, and map
// definitions the kernel refuses to create.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u32);
	__type(value, u64);
} nomax SEC(".maps");                                     // want: KG502 "no max_entries"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
	__type(value, u64);                               // want: KG502 "no key or value"
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} perf SEC(".maps");

SEC("tp/syscalls/sys_enter_read")
int calls(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1;
	char comm[16];
	bpf_map_update_elem(&nomax, &pid, &one);          // want: KG206 "takes 4"
	bpf_map_lookup_elem(&nomax, pid);                 // want: KG406 "by value"
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &pid, sizeof(pid)); // want: KG406 "BPF_MAP_TYPE_PERF_EVENT_ARRAY"
	bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &pid, sizeof(pid));
	bpf_get_current_comm(&comm, sizeof(comm));
	bpf_get_stacki(ctx, &perf, 0);                    // want: KG201 "did you mean bpf_get_stackid"
	bpf_get_stacki(ctx, comm, sizeof(comm), 0);       // want: KG201 "did you mean bpf_get_stack"
	if (strlen(comm) > 3)                             // want: KG201 "libc"
		printf("%s\n", comm);                     // want: KG201 "bpf_printk"
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
