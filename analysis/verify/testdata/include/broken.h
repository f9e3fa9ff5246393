/* A header with a mistake, included by header_error.bpf.c. */
static inline int broken_helper(void)
{
	return missing_in_header;
}
