package lsp

import (
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/internal/testenv"
)

// With kgent.targets set, a problem of one kernel is one diagnostic that
// names it, and hover says which targets have the name under the cursor.
func TestTargetsSetting(t *testing.T) {
	testenv.Kernels(t)
	testenv.Short(t, "builds a kernel profile")
	c := newClientOpts(t, Options{Debounce: -1})
	var res map[string]any
	if err := c.call("initialize", map[string]any{"capabilities": map[string]any{},
		"initializationOptions": map[string]any{"kgent": map[string]any{"verifyOnSave": false, "targets": []string{"host", "debian-5.10"}}}}, &res); err != nil {
		t.Fatal(err)
	}
	c.notify("initialized", map[string]any{})
	uri := protocol.DocumentURI("file:///tmp/kgent-test/targets.bpf.c")
	ch := c.watch(uri)
	src := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n" +
		"static long cb(u32 i, void *ctx) { return 0; }\n" +
		"SEC(\"tracepoint/syscalls/sys_enter_openat\")\nint p(void *ctx) { bpf_loop(4, cb, 0, 0); return 0; }\n"
	c.open(uri, "c", src)
	p := c.wait(ch, func(p protocol.PublishDiagnosticsParams) bool { return len(p.Diagnostics) > 0 })
	var found bool
	for _, d := range p.Diagnostics {
		if strings.Contains(d.Message, "bpf_loop") && strings.Contains(d.Message, "(on debian-5.10)") {
			found = true
		}
		if strings.Contains(d.Message, "bpf_loop") && strings.Contains(d.Message, "on host") {
			t.Errorf("bpf_loop exists on the host: %s", d.Message)
		}
	}
	if !found {
		t.Fatalf("no bpf_loop diagnostic naming debian-5.10: %+v", p.Diagnostics)
	}
	var h protocol.Hover
	line := strings.Count(src[:strings.Index(src, "bpf_loop")], "\n")
	if err := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri},
		"position": map[string]any{"line": line, "character": 20}}, &h); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.Contents.Value, "debian-5.10 (5.10") || !strings.Contains(h.Contents.Value, "**no**") || !strings.Contains(h.Contents.Value, "host (") {
		t.Fatalf("hover does not show availability on the targets:\n%s", h.Contents.Value)
	}
}
