// mistake: PT_REGS_PARM1() on a tracepoint declared with void *ctx
// clang: error: member reference base type 'void' is not a structure or union
// verifier: not reached
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp/syscalls/sys_enter_close")
int on_close(void *ctx)
{
	int fd = (int)PT_REGS_PARM1(ctx); // want: KG406
	bpf_printk("close(%d)", fd);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
