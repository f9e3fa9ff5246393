/* A header's guard function, as CO-RE tools keep them: the checker reads
 * that its body tests what the kernel has. */
#ifndef GUARDS_BPF_H
#define GUARDS_BPF_H

struct task_struct___hdr {
	long state;
} __attribute__((preserve_access_index));

static __always_inline bool header_has_state(void)
{
	if (bpf_core_field_exists(struct task_struct___hdr, state))
		return true;
	return false;
}

#endif
