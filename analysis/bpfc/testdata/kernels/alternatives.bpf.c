// Programs of one object that stand in for each other on different
// kernels: the loader disables (bpf_program__set_autoload) those whose
// target the running kernel lacks. A missing target is a warning while an
// alternative attaches, and an error when none does.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

__u64 dirtied;

static __always_inline int count_alloc(struct kmem_cache *s) { return s != 0; }

// kmem_cache_alloc is kmem_cache_alloc_noprof from 6.10.
SEC("kprobe/kmem_cache_alloc") // want[debian-6.12 debian-sid]: KG302(warning) "provides for it"
int BPF_KPROBE(alloc_old, struct kmem_cache *s) { return count_alloc(s); }

SEC("kprobe/kmem_cache_alloc_noprof") // want[debian-5.10 debian-6.1]: KG302(warning) "kprobe/kmem_cache_alloc"
int BPF_KPROBE(alloc_new, struct kmem_cache *s) { return count_alloc(s); }

// A return probe stands in only for a return probe.
SEC("kretprobe/kmem_cache_alloc") // want[debian-6.12 debian-sid]: KG302(error) "does not exist"
int BPF_KRETPROBE(alloc_old_ret, void *obj) { return obj != 0; }

static __always_inline int migrated(void) { return 1; }

// Pages became folios.
SEC("fentry/migrate_misplaced_page") // want[debian-6.12 debian-sid]: KG302(warning) "migrate_misplaced_folio"
int BPF_PROG(mig_page) { return migrated(); }

SEC("fentry/migrate_misplaced_folio") // want[debian-5.10 debian-6.1]: KG302(warning) "migrate_misplaced_page"
int BPF_PROG(mig_folio) { return migrated(); }

// A function and a tracepoint with one handler.
SEC("fentry/account_page_dirtied") // want[debian-6.1 debian-6.12 debian-sid]: KG302(warning) "writeback_dirty_folio"
int BPF_PROG(dirtied_fn)
{
	__sync_fetch_and_add(&dirtied, 1);
	return 0;
}

SEC("tp/writeback/writeback_dirty_folio") // want[debian-5.10]: KG304(warning) "fentry/account_page_dirtied"
int dirtied_tp(void *ctx)
{
	__sync_fetch_and_add(&dirtied, 1);
	return 0;
}

static __always_inline int started(struct request *rq) { return rq != 0; }

// Debian's 6.1 has neither blk_account_io_start (inlined) nor the
// block_io_start tracepoint (6.5): the object does not start there. The
// merge probe shares the handler but is another event, not an
// alternative.
SEC("fentry/blk_account_io_start") // want[debian-6.1]: KG302(error) "none of its alternatives"
int BPF_PROG(io_start, struct request *rq) { return started(rq); }

SEC("tp_btf/block_io_start") // want[debian-5.10]: KG305(warning) "fentry/blk_account_io_start" // want[debian-6.1]: KG305(error) "none of its alternatives"
int BPF_PROG(io_start_tp, struct request *rq) { return started(rq); }

SEC("kprobe/blk_account_io_merge_bio")
int BPF_KPROBE(io_merge, struct request *rq) { return started(rq); }

// Placeholders the loader retargets.
SEC("kprobe/dummy_fs_read") // want: KG302(warning) "placeholder"
int BPF_KPROBE(fs_read_entry) { return 0; }

SEC("fentry/foo") // want: KG302(warning) "placeholder"
int BPF_PROG(fn_entry) { return 0; }

// Not an alternative of anything: an error everywhere.
SEC("kprobe/kmem_cache_allocate") // want: KG302(error)
int BPF_KPROBE(typo, struct kmem_cache *s) { return count_alloc(s); }

// Lockdep's _nested variants exist only with CONFIG_DEBUG_LOCK_ALLOC.
static __always_inline int contended(struct mutex *m) { return m != 0; }

SEC("kprobe/mutex_lock")
int BPF_KPROBE(lock, struct mutex *m) { return contended(m); }

SEC("kprobe/mutex_lock_nested") // want: KG302(warning) "kprobe/mutex_lock"
int BPF_KPROBE(lock_nested, struct mutex *m) { return contended(m); }

// Architecture-specific system calls beside the generic one.
static __always_inline int synced(void *ctx, int which) { return which; }

SEC("tp/syscalls/sys_enter_sync_file_range")
int sfr(void *ctx) { return synced(ctx, 1); }

SEC("tp/syscalls/sys_enter_arm_sync_file_range") // want: KG304(warning) "provides for it"
int arm_sfr(void *ctx) { return synced(ctx, 2); }

// netlink_dump gained lock_taken in 5.19: unused, the extra argument is
// never read on 5.10; used, it is.
SEC("fentry/netlink_dump")
int BPF_PROG(dump_unused, struct sock *sk, bool lock_taken) // want[debian-5.10]: KG404(warning) "unused"
{
	return sk != 0;
}

SEC("fentry/netlink_dump")
int BPF_PROG(dump_used, struct sock *sk, bool lock_taken) // want[debian-5.10]: KG404(error) "declares 2"
{
	return lock_taken;
}

char LICENSE[] SEC("license") = "GPL";
