// Map definitions.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASHH);                   // want: KG502 "BPF_MAP_TYPE_HASH"
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(value, u64);
} nokey SEC(".maps");                                   // want: KG502 "needs a key"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} scratch SEC(".maps");

SEC("tp/sched/sched_switch")
int on_switch(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
