/* A program's own header: defines a bpf_-prefixed helper of its own. */
static __always_inline void *bpf_map_lookup_or_init(void *map, const void *key, const void *init)
{
	return bpf_map_lookup_elem(map, key);
}
