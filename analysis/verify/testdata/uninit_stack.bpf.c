#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/*
 * Reading an uninitialised stack slot: clang warns, and the verifier of
 * 6.x accepts it from a privileged loader (CAP_PERFMON lets programs read
 * uninitialised stack), so this kernel's real answer is no rejection.
 * The refused uninitialised read is in uninit.bpf.c (a register).
 */
SEC("tp/sched/sched_switch")
int uninit_stack(void *ctx)
{
	volatile u64 x;
	return x; // want: KG601 "uninitialized"
}

char LICENSE[] SEC("license") = "GPL";
