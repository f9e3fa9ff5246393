// Shapes tree-sitter cannot read as written: types as macro arguments,
// __kconfig externs, helpers defined in the program's own headers.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "inc/helpers.bpf.h"

#define container_of(ptr, type, member) ((type *)((void *)(ptr) - __builtin_offsetof(type, member)))

extern int LINUX_KERNEL_VERSION __kconfig;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} m SEC(".maps");

SEC("tp_btf/sched_switch")
int on_switch(u64 *ctx)
{
	struct task_struct *t = (struct task_struct *)ctx[1];
	struct list_head *l = &t->tasks;
	struct task_struct *back = container_of(l, struct task_struct, tasks);
	u32 key = 0;
	u64 zero = 0;
	if (bpf_core_type_exists(struct task_struct) && LINUX_KERNEL_VERSION > 0)
		bpf_map_lookup_or_init(&m, &key, &zero);
	bpf_map_lookup_or_intt(&m, &key, &zero); // want: KG201
	return back != 0;
}

char LICENSE[] SEC("license") = "GPL";
