// mistake: an unknown section prefix (kprobes/ for kprobe/)
// clang: ok
// verifier: rejected: program do_unlinkat does not load: libbpf cannot guess the program type from its section
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("kprobes/do_unlinkat") // want: KG301
int BPF_KPROBE(do_unlinkat, int dfd)
{
	bpf_printk("unlinkat dfd %d", dfd);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
