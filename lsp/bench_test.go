package lsp

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/lsp/editor"
)

// The benchmark files are generated deterministically; the copies in
// testdata/lsp are what the benchmarks edit (KGENT_UPDATE=1 rewrites
// them).
var benchFiles = map[string]func() string{
	"bench.bpf.c": func() string { return editor.GenC(500) },
	"bench.bt":    func() string { return editor.GenBT(300) },
}

func benchFile(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "lsp", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestBenchFiles: the committed files are the generator's output, have
// the announced size and are clean programs (no findings), so the
// benchmark measures a realistic, valid edit session.
func TestBenchFiles(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	for name, gen := range benchFiles {
		want := gen()
		path := filepath.Join("..", "testdata", "lsp", name)
		if os.Getenv("KGENT_UPDATE") == "1" {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got := benchFile(t, name)
		if got != want {
			t.Fatalf("%s differs from the generator's output (KGENT_UPDATE=1 go test -run TestBenchFiles ./lsp/ rewrites it)", name)
		}
		lines := strings.Count(got, "\n")
		if strings.HasSuffix(name, ".c") && lines != 500 || strings.HasSuffix(name, ".bt") && lines != 300 {
			t.Fatalf("%s has %d lines", name, lines)
		}
		fs, err := check.File(path, got, check.Options{KB: k})
		if err != nil || analysis.HasErrors(fs) || len(fs) > 0 && fs[0].Severity == analysis.Warning {
			t.Fatalf("%s: %v %+v", name, err, fs)
		}
	}
}

func rssMB() float64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "VmRSS:" {
			var kb float64
			for _, c := range f[1] {
				kb = kb*10 + float64(c-'0')
			}
			return kb / 1024
		}
	}
	return 0
}

// benchEditor drives the in-process server over pipes like an editor:
// open, then one-line edits, each waiting for the diagnostics of its
// version. The debounce is 0 so the figures are the server's own work.
// rss-MB is the whole test process (client, server and the kb).
func benchEditor(b *testing.B, uri protocol.DocumentURI, lang, text string, line int, edit string) {
	c := newClient(b, -1)
	c.initialize()
	ch := c.watch(uri)
	start := time.Now()
	c.open(uri, lang, text)
	c.wait(ch, nil)
	first := time.Since(start)
	var lat []time.Duration
	version := 1
	b.ResetTimer()
	for b.Loop() {
		version++
		t0 := time.Now()
		c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": version},
			"contentChanges": []any{map[string]any{"range": map[string]any{"start": map[string]any{"line": line, "character": 0}, "end": map[string]any{"line": line, "character": 0}}, "text": edit}}})
		c.wait(ch, func(p protocol.PublishDiagnosticsParams) bool { return int(p.Version) == version })
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(float64(editor.Percentile(lat, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(editor.Percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(first.Microseconds())/1000, "first-diag-ms")
	runtime.GC()
	b.ReportMetric(rssMB(), "rss-MB")
}

func BenchmarkLSPC500(b *testing.B) {
	benchEditor(b, "file:///tmp/kgent-bench/bench.bpf.c", "c", benchFile(b, "bench.bpf.c"), 20, "\t// edit\n")
}

func BenchmarkLSPBpftrace300(b *testing.B) {
	benchEditor(b, "file:///tmp/kgent-bench/bench.bt", "bpftrace", benchFile(b, "bench.bt"), 4, "\t// edit\n")
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// kgentBinary builds the command once per test binary.
func kgentBinary(b testing.TB) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kgent-bench-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "kgent")
		out, err := exec.Command("go", "build", "-buildvcs=false", "-o", binPath, "github.com/kgent/kgent/cmd/kgent").CombinedOutput()
		if err != nil {
			buildErr = err
			b.Log(string(out))
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return binPath
}

// stdioSession runs one editor session against a server process and
// reports its figures; b.N is the number of edits.
func stdioSession(b *testing.B, s editor.Session) editor.Result {
	s.Edits = b.N
	b.ResetTimer()
	r, err := editor.Run(context.Background(), s)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(r.P50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(r.P99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(r.FirstDiagnostics.Microseconds())/1000, "first-diag-ms")
	b.ReportMetric(float64(r.WarmOpen.Microseconds())/1000, "warm-open-ms")
	b.ReportMetric(r.RSS, "server-rss-MB")
	b.ReportMetric(r.PeakRSS, "server-peak-rss-MB")
	b.Log(r)
	return r
}

// BenchmarkStdio runs `kgent lsp --debounce 0` as a process, like an
// editor, on the benchmark files; first-diag-ms includes loading the
// (cached) kb, which starts at initialize.
func BenchmarkStdio(b *testing.B) {
	testenv.Require(b, testenv.BTF)
	bin := kgentBinary(b)
	dir := b.TempDir()
	opts := map[string]any{"kgent": map[string]any{"verifyOnSave": false}}
	for _, tc := range []struct{ name, file, lang string }{{"C500", "bench.bpf.c", "c"}, {"Bpftrace300", "bench.bt", "bpftrace"}} {
		b.Run(tc.name, func(b *testing.B) {
			stdioSession(b, editor.Session{Name: "kgent", Command: []string{bin, "lsp", "--debounce", "0"}, InitializationOptions: opts,
				Path: filepath.Join(dir, tc.file), LanguageID: tc.lang, Text: benchFile(b, tc.file), EditLine: 20, Edit: "\t// edit\n"})
		})
	}
}

// BenchmarkClangd500 runs the same editor session against clangd 14 on the
// same .bpf.c, with vmlinux.h generated by bpftool and a
// compile_flags.txt: didOpen to first diagnostics, and one-line edits.
func BenchmarkClangd500(b *testing.B) {
	testenv.Require(b, testenv.Clangd, testenv.Bpftool, testenv.Headers, testenv.BTF)
	dir := b.TempDir()
	hdr, err := exec.Command("bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c").Output()
	if err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "vmlinux.h"), hdr, 0o644)
	os.WriteFile(filepath.Join(dir, "compile_flags.txt"), []byte("-target\nbpf\n-D__TARGET_ARCH_x86\n-I"+dir+"\n"), 0o644)
	path := filepath.Join(dir, "bench.bpf.c")
	text := benchFile(b, "bench.bpf.c")
	os.WriteFile(path, []byte(text), 0o644)
	stdioSession(b, editor.Session{Name: "clangd", Command: []string{"clangd", "--log=error"}, Path: path, LanguageID: "c",
		Text: text, EditLine: 20, Edit: "\t// edit\n", Timeout: 120 * time.Second})
}
