// SEC() names and attach targets against this kernel.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tracepont/syscalls/sys_enter_openat")          // want: KG301 "did you mean tracepoint"
int a(void *ctx) { return 0; }

SEC("tp/syscalls/sys_enter_opnat")                  // want: KG304 "syscalls/sys_enter_openat"
int b(void *ctx) { return 0; }

SEC("tp/syscalls/sys_enter_openat")
int c(void *ctx) { return 0; }

SEC("raw_tp/sched_swich")                           // want: KG305 "sched_switch"
int d(void *ctx) { return 0; }

SEC("tp_btf/sched_switch")
int BPF_PROG(e, bool preempt, struct task_struct *prev, struct task_struct *next) { return 0; }

SEC("fentry/tcp_v4_conect")                         // want: KG308 "not available" KG302 "tcp_v4_connect"
int BPF_PROG(f, struct sock *sk) { return 0; }

SEC("lsm/file_opn")                                 // want: KG308 KG302 "file_open"
int BPF_PROG(g, struct file *file) { return 0; }

SEC("uprobe//no/such/binary:main")                  // want: KG306
int h(void *ctx) { return 0; }

SEC("uprobe//bin/bash:readline")
int i(void *ctx) { return 0; }

SEC("iter/task")
int j(void *ctx) { return 0; }

SEC("xdp")
int k(struct xdp_md *ctx) { return XDP_PASS; }

char LICENSE[] SEC("license") = "GPL";
