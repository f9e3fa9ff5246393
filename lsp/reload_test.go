package lsp

import (
	"runtime"
	"sync/atomic"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// Reloading the kb 20 times in a running server leaves the heap where one
// kb leaves it: the pipeline is the only holder of a kb, and a reload
// drops the old one with everything built from it (the nearest-name
// indexes a misspelled helper and kernel function make it build, decoded
// records, the verifier).
func TestKBReloadKeepsHeap(t *testing.T) {
	testenv.HostKB(t, testenv.Tracefs, testenv.Headers) // the cache exists: loads below only open it
	testenv.Short(t, "reloads the kb 21 times")
	var loads atomic.Int32
	c := newClientOpts(t, Options{Debounce: -1, LoadKB: func(o kb.Options) (*kb.KB, error) {
		loads.Add(1)
		o.Rebuild = false // a fresh *kb.KB from the cache, not a rebuild
		return kb.Load(o)
	}})
	c.initialize()
	uri := protocol.DocumentURI("file:///tmp/kgent-test/reload.bpf.c")
	ch := c.watch(uri)
	c.open(uri, "c", "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n"+
		"SEC(\"kprobe/tcp_v4_conect\")\nint p(void *ctx) { bpf_probe_read_kernal(0, 0, 0); return 0; }\n")
	near := func(p protocol.PublishDiagnosticsParams) bool { return len(p.Diagnostics) >= 2 }
	c.wait(ch, near)
	reload := func() {
		before := loads.Load()
		if err := c.call("workspace/executeCommand", map[string]any{"command": "kgent.kb.rebuild"}, nil); err != nil {
			t.Fatal(err)
		}
		// The reload re-checks the open document with the new kb: its
		// publish comes after the swap.
		c.wait(ch, func(p protocol.PublishDiagnosticsParams) bool { return loads.Load() > before && near(p) })
		for loads.Load() == before {
			runtime.Gosched()
		}
	}
	heap := func() uint64 {
		var ms runtime.MemStats
		for range 3 {
			runtime.GC()
		}
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	reload()
	one := heap()
	for range 20 {
		reload()
	}
	twenty := heap()
	t.Logf("heap after 1 reload %.1f MB, after 21 %.1f MB (%d loads)", float64(one)/1e6, float64(twenty)/1e6, loads.Load())
	// A kb with its nearest-name indexes is about 12 MB: 20 kept ones
	// would add about 240 MB. The margin absorbs garbage the collector
	// has not reached on a loaded machine (seen: +12 MB).
	if twenty > one+60<<20 {
		t.Fatalf("the heap grew from %.1f MB to %.1f MB over 20 kb reloads: old kbs are kept", float64(one)/1e6, float64(twenty)/1e6)
	}
}
