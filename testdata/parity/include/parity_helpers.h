/* Found only through the configured include directories. */
#ifndef PARITY_HELPERS_H
#define PARITY_HELPERS_H
#define PARITY_MAX_ENTRIES 1024
static __always_inline __u64 bpf_parity_scale(__u64 x)
{
	return x * 2;
}
#endif
