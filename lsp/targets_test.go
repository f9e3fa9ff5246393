package lsp

import (
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/verify/microvm"
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

// With targets built from kernel images and verification on save, the
// server boots their microVMs as soon as the targets are configured,
// with work-done progress that names each kernel as it boots and when it
// is ready; a save then verifies on every target, and the diagnostic of
// the kernel whose verifier rejected the program says which one it was.
func TestTargetVMsBootWithProgress(t *testing.T) {
	testenv.Kernels(t)
	testenv.Require(t, testenv.Clang, testenv.Headers)
	if why := microvm.Missing(microvm.Options{}); why != "" {
		testenv.Skip(t, "%s", why)
	}
	testenv.Short(t, "boots two kernels in microVMs")
	// Runs after the server stopped (cleanups run last first): its
	// shutdown stops the VMs.
	t.Cleanup(func() {
		if left := testenv.QEMUChildren(); len(left) > 0 {
			t.Errorf("QEMU processes left running after the server stopped: %v", left)
		}
	})
	c := newClientOpts(t, Options{Debounce: -1})
	var res map[string]any
	if err := c.call("initialize", map[string]any{"capabilities": map[string]any{"window": map[string]any{"workDoneProgress": true}},
		"initializationOptions": map[string]any{"kgent": map[string]any{"verifyOnSave": true, "targets": []string{"debian-5.10", "debian-6.1"}}}}, &res); err != nil {
		t.Fatal(err)
	}
	c.notify("initialized", map[string]any{})
	// Nothing is opened or saved: the boots start from the settings.
	var progress []string
	deadline := time.After(3 * time.Minute)
	for !strings.Contains(strings.Join(progress, "\n"), `"end"`) {
		select {
		case n := <-c.notes:
			if n.method == "$/progress" {
				progress = append(progress, string(n.params))
			}
		case <-deadline:
			t.Fatalf("the microVMs' boot did not end; progress:\n%s", strings.Join(progress, "\n"))
		}
	}
	all := strings.Join(progress, "\n")
	for _, want := range []string{`"begin"`, "booting debian-5.10", "booting debian-6.1", "debian-5.10 ready", "debian-6.1 ready"} {
		if !strings.Contains(all, want) {
			t.Errorf("progress lacks %q:\n%s", want, all)
		}
	}
	uri := protocol.DocumentURI("file:///tmp/kgent-test/loop.bpf.c")
	ch := c.watch(uri)
	src := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n" +
		"static long cb(u32 i, void *ctx) { return 0; }\n" +
		"SEC(\"tracepoint/syscalls/sys_enter_openat\")\nint p(void *ctx) { bpf_loop(4, cb, 0, 0); return 0; }\n"
	c.open(uri, "c", src)
	c.wait(ch, nil)
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
	// The static check predicts the rejection on 5.10; the diagnostic
	// after the save says 5.10's own verifier confirmed it.
	p := c.wait(ch, func(p protocol.PublishDiagnosticsParams) bool {
		return strings.Contains(allText(p.Diagnostics), "verifier of ")
	})
	found := false
	for _, d := range p.Diagnostics {
		if strings.Contains(d.Message, "verifier of 6.1") {
			t.Errorf("6.1's verifier accepts bpf_loop, yet: %s", d.Message)
		}
		if d.Range.Start.Line == 5 && strings.Contains(d.Message, "verifier: rejected by the verifier of 5.10") && strings.Contains(d.Message, "(on debian-5.10)") {
			found = true
			t.Logf("%s", d.Message)
		}
	}
	if !found {
		t.Fatalf("no diagnostic on line 6 saying 5.10's verifier rejected bpf_loop: %+v", p.Diagnostics)
	}
}
