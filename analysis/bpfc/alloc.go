package bpfc

/*
#include <stdlib.h>

// From tree-sitter's api.h (compiled into the binary by go-tree-sitter).
extern void ts_set_allocator(void *(*new_malloc)(size_t), void *(*new_calloc)(size_t, size_t),
	void *(*new_realloc)(void *, size_t), void (*new_free)(void *));

static void kgent_ts_use_libc(void) { ts_set_allocator(malloc, calloc, realloc, free); }
*/
import "C"

// go-tree-sitter routes every allocation of the tree-sitter library
// through exported Go functions (C calls Go, which calls C.malloc): a
// round trip through the runtime for each of the thousands of subtrees a
// parse allocates, and the largest part of a parse's time. Its default
// Go functions only call the C allocator, so tree-sitter is given the C
// allocator directly; memory go-tree-sitter frees itself goes to C.free
// either way. Package initialization runs after go-tree-sitter's, which
// installs the round trip.
func init() { C.kgent_ts_use_libc() }
