// Programs whose loader (retarget.c beside this file) moves them to the
// name the running kernel has with bpf_program__set_attach_target.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

// page_cache_ra_order replaced do_page_cache_ra in 5.18; sid has both.
SEC("fentry/do_page_cache_ra") // want[debian-6.1 debian-6.12]: KG302(warning) "retarget.c retargets it"
int BPF_PROG(ra_start) { return 0; }

// The loader's other name is missing on 6.1 too.
SEC("fentry/blk_account_io_start") // want[debian-6.1]: KG302(error) "does not exist"
int BPF_PROG(io_start) { return 0; }

// Not retargeted.
SEC("fentry/do_page_cache_ra") // want[debian-6.1 debian-6.12]: KG302(error) "does not exist"
int BPF_PROG(ra_other) { return 0; }

char LICENSE[] SEC("license") = "GPL";
