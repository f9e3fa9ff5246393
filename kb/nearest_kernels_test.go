package kb_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// TestNearestKernelRenames asks the Debian kernels for names other
// kernels spell differently: the kernel's own rename comes first, and no
// suggestion is a generated symbol or another function with a word
// swapped.
func TestNearestKernelRenames(t *testing.T) {
	testenv.Kernels(t)
	old, sid := testenv.KernelKB(t, "debian-6.1"), testenv.KernelKB(t, "debian-sid")
	like, ok := old.Func("kmem_cache_alloc")
	if !ok {
		t.Fatal("debian-6.1 has no kmem_cache_alloc")
	}
	got := sid.NearestFunc("kmem_cache_alloc", 3, like)
	if len(got) == 0 || got[0] != "kmem_cache_alloc_noprof" {
		t.Errorf("sid: nearest of kmem_cache_alloc = %v, want kmem_cache_alloc_noprof first", got)
	}
	if r, ok := sid.RenamedFunc("kmem_cache_alloc"); !ok || r != "kmem_cache_alloc_noprof" {
		t.Errorf("sid: RenamedFunc(kmem_cache_alloc) = %q, %v", r, ok)
	}
	nf, _ := sid.Func("kmem_cache_alloc_noprof")
	if !kb.SameProto(like, nf) {
		t.Errorf("prototypes differ: %s vs %s", like.Proto(), nf.Proto())
	}
	if r, ok := old.RenamedFunc("filemap_alloc_folio_noprof"); !ok || r != "filemap_alloc_folio" {
		t.Errorf("6.1: RenamedFunc(filemap_alloc_folio_noprof) = %q, %v", r, ok)
	}
	for _, q := range []string{"filemap_alloc_folio", "__kmalloc", "kmalloc_trace", "compact_zonee", "xfs_file_read"} {
		for _, s := range sid.Nearest(kb.FamilyFunc, q, 5) {
			if strings.HasPrefix(s, "__pfx_") || strings.HasPrefix(s, "__probestub_") || s == "compact_node" || s == "xfs_file_readdir" || s == "__kmem_cache_alloc_bulk" {
				t.Errorf("sid: %q suggested for %s", s, q)
			}
		}
	}
	if got := sid.Nearest(kb.FamilyFunc, "compact_zonee", 3); !slices.Contains(got, "compact_zone") {
		t.Errorf("sid: nearest of a misspelt compact_zone = %v", got)
	}
}
