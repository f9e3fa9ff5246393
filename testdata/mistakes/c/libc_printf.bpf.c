// mistake: libc's printf() in a BPF program
// clang: ok
// verifier: rejected: program on_kill does not load: Call at insn 3: symbol "printf": unsatisfied program
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_kill")
int on_kill(struct trace_event_raw_sys_enter *ctx)
{
	printf("kill pid=%ld sig=%ld\n", ctx->args[0], ctx->args[1]); // want: KG201
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
