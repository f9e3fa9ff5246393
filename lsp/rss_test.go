package lsp

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis/verify/microvm"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/lsp/editor"
)

// loopProgram calls bpf_loop: 6.1's verifier accepts it, 5.10's rejects it.
const loopProgram = "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n" +
	"static long cb(u32 i, void *ctx) { return 0; }\n" +
	"SEC(\"tracepoint/syscalls/sys_enter_openat\")\nint p(void *ctx) { bpf_loop(4, cb, 0, 0); return 0; }\n"

// serverMemory runs `kgent lsp` as a process, as an editor does, with
// the given targets (none: the host kernel alone, verified in the
// server's own process), opens loopProgram and, with verify, saves it
// saves times, each awaiting the end of its verification; it returns
// the server process's own VmRSS and VmHWM in MiB (QEMU runs as its
// child and is not counted) and the last verification's message.
func serverMemory(tb testing.TB, bin string, targets []string, verify bool, saves int) (rss, peak float64, last string) {
	tb.Helper()
	dir := tb.TempDir()
	path := filepath.Join(dir, "loop.bpf.c")
	if err := os.WriteFile(path, []byte(loopProgram), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "lsp", "--debounce", "0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	c := editor.New(stdout, stdin)
	settings := map[string]any{"verifyOnSave": verify}
	if len(targets) > 0 {
		settings["targets"] = targets
	}
	if _, err := c.Call("initialize", map[string]any{"processId": os.Getpid(), "rootUri": "file://" + dir,
		"capabilities":          map[string]any{"window": map[string]any{"workDoneProgress": true}},
		"initializationOptions": map[string]any{"kgent": settings}}, 2*time.Minute); err != nil {
		tb.Fatal(err)
	}
	c.Notify("initialized", map[string]any{})
	uri := "file://" + path
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "c", "version": 1, "text": loopProgram}})
	if _, err := c.AwaitDiagnostics(uri, 1, 2*time.Minute); err != nil {
		tb.Fatal(err)
	}
	for i := 0; verify && i < saves; i++ {
		c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
		// The verification's progress ends with what it found.
		m, err := c.Await(5*time.Minute, func(m editor.Message) bool {
			return m.Method == "$/progress" && strings.Contains(string(m.Params), `"kgent-verify-`) && strings.Contains(string(m.Params), `"end"`)
		})
		if err != nil {
			tb.Fatalf("save %d: no end of verification: %v", i+1, err)
		}
		var p struct {
			Value struct{ Message string } `json:"value"`
		}
		json.Unmarshal(m.Params, &p)
		last = p.Value.Message
	}
	rss, peak = editor.Memory(cmd.Process.Pid)
	if _, err := c.Call("shutdown", nil, 30*time.Second); err == nil {
		c.Notify("exit", nil)
	}
	return rss, peak, last
}

func requireVMs(tb testing.TB) {
	tb.Helper()
	testenv.Require(tb, testenv.BTF, testenv.BPF, testenv.Clang, testenv.Headers)
	testenv.Kernels(tb)
	if why := microvm.Missing(microvm.Options{}); why != "" {
		testenv.Skip(tb, "%s", why)
	}
}

// rssTargets are the two kernels whose VMs the memory figures run.
var rssTargets = []string{"debian-5.10", "debian-6.1"}

// BenchmarkServerRSSWithVMs: the server's own memory (VmRSS and VmHWM of
// its process, not of QEMU) with a program open: without targets,
// verified on save by the host's verifier; with two target kernels and no
// verification (their kbs loaded, no VM); and with the same targets
// verified on save in their microVMs. b.N saves each.
func BenchmarkServerRSSWithVMs(b *testing.B) {
	requireVMs(b)
	bin := kgentBinary(b)
	for _, tc := range []struct {
		name    string
		targets []string
		verify  bool
	}{{"none", nil, true}, {"targets-no-verify", rssTargets, false}, {"targets-vms", rssTargets, true}} {
		b.Run(tc.name, func(b *testing.B) {
			rss, peak, last := serverMemory(b, bin, tc.targets, tc.verify, b.N)
			b.ReportMetric(rss, "server-rss-MB")
			b.ReportMetric(peak, "server-peak-rss-MB")
			b.Logf("%s: RSS %.1f MiB, peak %.1f MiB; %s", tc.name, rss, peak, last)
		})
	}
}

// rssMarginMB is how much more the server's own resident memory may be
// with two targets verified in microVMs than with the host's verifier
// alone. Measured here: 24 MiB alone, 32 MiB with the two targets' kbs
// mapped and no VM, 37 MiB with both VMs booted and a program verified
// in each (QEMU's memory is its own process's). The margin covers the two
// kbs and the pool's bookkeeping with room for the Go heap's noise, and
// stays below what would mean the VMs cost the server memory: the ~25 MB
// of garbage each boot makes (reading the init, building the initramfs)
// kept mapped, as it was before the server gave it back (+42 MiB), a
// guest's memory (512 MiB) in the server, or objects and logs kept per
// save.
const rssMarginMB = 30

// TestServerRSSWithVMs: the server's own RSS with two target kernels
// verified in microVMs stays within rssMarginMB of the host's verifier
// alone (memory, not timing: the figures are BenchmarkServerRSSWithVMs').
func TestServerRSSWithVMs(t *testing.T) {
	requireVMs(t)
	testenv.Short(t, "boots two kernels in microVMs")
	bin := kgentBinary(t)
	alone, _, _ := serverMemory(t, bin, nil, true, 2)
	withVMs, peak, last := serverMemory(t, bin, rssTargets, true, 2)
	t.Logf("server RSS: %.1f MiB with the host's verifier, %.1f MiB (peak %.1f) with %v in microVMs; %s", alone, withVMs, peak, rssTargets, last)
	if !strings.Contains(last, "verifier of 5.10") {
		t.Fatalf("the targets were not verified in their VMs: %s", last)
	}
	if withVMs > alone+rssMarginMB {
		t.Fatalf("the server's RSS with VMs is %.1f MiB, more than %.1f + %d MiB without", withVMs, alone, rssMarginMB)
	}
}
