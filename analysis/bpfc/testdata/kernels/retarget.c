// The user-space loader of retarget.bpf.c (read, not compiled, by the
// fixture test): it retargets two programs.
#include <bpf/libbpf.h>
#include "retarget.skel.h"

static int pick_attach_target(struct bpf_program *prog)
{
	if (!bpf_program__set_attach_target(prog, 0, "page_cache_ra_order"))
		return 0;
	return bpf_program__set_attach_target(prog, 0, "do_page_cache_ra");
}

int main(void)
{
	struct retarget_bpf *obj = retarget_bpf__open();

	if (!obj)
		return 1;
	if (pick_attach_target(obj->progs.ra_start))
		return 1;
	bpf_program__set_attach_target(obj->progs.io_start, 0, "__blk_account_io_start");
	return retarget_bpf__load(obj);
}
