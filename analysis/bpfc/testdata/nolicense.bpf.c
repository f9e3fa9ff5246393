#include "vmlinux.h"                                    // want: KG501
#include <bpf/bpf_helpers.h>

SEC("tp/sched/sched_switch")
int on_switch(void *ctx) { return 0; }
