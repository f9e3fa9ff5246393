package kb

import (
	"slices"
	"testing"
)

func TestRenameCandidates(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"kmem_cache_alloc", "kmem_cache_alloc_noprof"},
		{"kmem_cache_alloc_noprof", "kmem_cache_alloc"},
		{"mutex_lock", "mutex_lock_nested"},
		{"kmalloc_node", "kmalloc"},
		{"mark_page_accessed", "folio_mark_accessed"},
		{"folio_mark_accessed", "mark_page_accessed"},
		{"migrate_misplaced_page", "migrate_misplaced_folio"},
		{"__x64_sys_openat", "__se_sys_openat"},
		{"__do_sys_openat", "__x64_sys_openat"},
		{"__page_cache_alloc", "filemap_alloc_folio"},
		{"__page_cache_alloc", "filemap_alloc_folio_noprof"},
	} {
		if got := RenameCandidates(c.name); !slices.Contains(got, c.want) {
			t.Errorf("RenameCandidates(%q) = %v, want %q among them", c.name, got, c.want)
		}
	}
	for _, c := range []struct{ a, b string }{{"kmem_cache_alloc", "kmem_cache_free"}, {"vfs_read", "vfs_write"}, {"tcp_connect", "tcp_v4_connect"}} {
		if Renamed(c.a, c.b) {
			t.Errorf("Renamed(%q, %q) = true", c.a, c.b)
		}
	}
}

// Spelling suggestions that swap a word of the name are other functions
// (compact_zone for compact_node), misspellings are not.
func TestSwapsWord(t *testing.T) {
	for _, c := range []struct {
		q, c string
		swap bool
	}{
		{"compact_zone", "compact_node", true},
		{"xfs_file_read", "xfs_file_readdir", true},
		{"kmem_cache_alloc", "kmem_cache_free", true},
		{"tcp_v4_conect", "tcp_v4_connect", false},
		{"vfs_rd", "vfs_read", false},
		{"tcp_sendmsg", "tcp_sendmsg_locked", false}, // a word added: not a swap
	} {
		if got := swapsWord(c.q, c.c); got != c.swap {
			t.Errorf("swapsWord(%q, %q) = %v, want %v", c.q, c.c, got, c.swap)
		}
	}
	if !generatedSymbol("__pfx_filemap_alloc_folio_noprof") || generatedSymbol("filemap_alloc_folio_noprof") {
		t.Error("generatedSymbol")
	}
}
