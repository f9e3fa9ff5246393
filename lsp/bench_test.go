package lsp

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/internal/testenv"
)

// genC makes a deterministic ~500-line libbpf program that includes
// vmlinux.h.
func genC(lines int) string {
	var b strings.Builder
	b.WriteString("#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_tracing.h>\n#include <bpf/bpf_core_read.h>\n\n")
	b.WriteString("struct {\n\t__uint(type, BPF_MAP_TYPE_HASH);\n\t__uint(max_entries, 1024);\n\t__type(key, u32);\n\t__type(value, u64);\n} counts SEC(\".maps\");\n\n")
	for i := 0; strings.Count(b.String(), "\n") < lines-3; i++ {
		fmt.Fprintf(&b, "SEC(\"tp_btf/sched_process_exec\")\nint BPF_PROG(exec_%d, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)\n{\n", i)
		fmt.Fprintf(&b, "\tu32 pid = bpf_get_current_pid_tgid() >> 32;\n\tpid_t ppid = BPF_CORE_READ(p, real_parent, tgid);\n\tu64 one = 1, *v;\n")
		fmt.Fprintf(&b, "\tv = bpf_map_lookup_elem(&counts, &pid);\n\tif (v)\n\t\t__sync_fetch_and_add(v, 1);\n\telse\n\t\tbpf_map_update_elem(&counts, &pid, &one, BPF_ANY);\n")
		fmt.Fprintf(&b, "\tbpf_printk(\"exec %%d %%d\", pid, ppid);\n\treturn 0;\n}\n\n")
	}
	b.WriteString("char LICENSE[] SEC(\"license\") = \"GPL\";\n")
	return b.String()
}

// genBT makes a deterministic ~300-line bpftrace script.
func genBT(lines int) string {
	var b strings.Builder
	for i := 0; strings.Count(b.String(), "\n") < lines; i++ {
		fmt.Fprintf(&b, "tracepoint:syscalls:sys_enter_openat\n/pid > %d/\n{\n\t@opens_%d[comm] = count();\n\tprintf(\"%%s %%s\\n\", comm, str(args->filename));\n}\n\n", i, i)
	}
	return b.String()
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}

func rssMB() float64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

// benchEditor drives the server like an editor: open, then one-line
// edits, each waiting for the diagnostics of its version. The debounce is
// 0 so the figures are the server's own work.
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
	b.ReportMetric(float64(percentile(lat, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(first.Microseconds())/1000, "first-diag-ms")
	b.ReportMetric(rssMB(), "rss-MB")
}

func BenchmarkLSPC500(b *testing.B) {
	benchEditor(b, "file:///tmp/kgent-bench/big.bpf.c", "c", genC(500), 20, "\t// edit\n")
}

func BenchmarkLSPBpftrace300(b *testing.B) {
	benchEditor(b, "file:///tmp/kgent-bench/big.bt", "bpftrace", genBT(300), 3, "\t// edit\n")
}

// BenchmarkClangd500 runs the same editor session against clangd on the
// same file: didOpen to first diagnostics, and one-line edits.
func BenchmarkClangd500(b *testing.B) {
	testenv.Require(b, testenv.Clangd, testenv.Bpftool, testenv.Headers)
	dir := b.TempDir()
	hdr, err := exec.Command("bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c").Output()
	if err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "vmlinux.h"), hdr, 0o644)
	os.WriteFile(filepath.Join(dir, "compile_flags.txt"), []byte("-target\nbpf\n-D__TARGET_ARCH_x86\n-I"+dir+"\n"), 0o644)
	path := filepath.Join(dir, "big.bpf.c")
	text := genC(500)
	os.WriteFile(path, []byte(text), 0o644)
	cmd := exec.Command("clangd", "--log=error")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Process.Kill()
	r := bufio.NewReader(stdout)
	send := func(msg map[string]any) {
		msg["jsonrpc"] = "2.0"
		data, _ := json.Marshal(msg)
		fmt.Fprintf(stdin, "Content-Length: %d\r\n\r\n%s", len(data), data)
	}
	readMsg := func() map[string]any {
		length := 0
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				b.Fatal(err)
			}
			line = strings.TrimSpace(line)
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				length, _ = strconv.Atoi(v)
			}
		}
		buf := make([]byte, length)
		io.ReadFull(r, buf)
		var m map[string]any
		json.Unmarshal(buf, &m)
		return m
	}
	waitDiag := func(version int) {
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			m := readMsg()
			if m["method"] == "textDocument/publishDiagnostics" {
				p := m["params"].(map[string]any)
				if v, ok := p["version"].(float64); !ok || int(v) == version {
					return
				}
			}
		}
		b.Fatal("clangd sent no diagnostics")
	}
	uri := "file://" + path
	send(map[string]any{"id": 1, "method": "initialize", "params": map[string]any{"processId": os.Getpid(), "rootUri": "file://" + dir, "capabilities": map[string]any{}}})
	for m := readMsg(); m["id"] == nil; m = readMsg() {
	}
	send(map[string]any{"method": "initialized", "params": map[string]any{}})
	start := time.Now()
	send(map[string]any{"method": "textDocument/didOpen", "params": map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "c", "version": 1, "text": text}}})
	waitDiag(1)
	first := time.Since(start)
	var lat []time.Duration
	version := 1
	b.ResetTimer()
	for b.Loop() {
		version++
		t0 := time.Now()
		send(map[string]any{"method": "textDocument/didChange", "params": map[string]any{"textDocument": map[string]any{"uri": uri, "version": version},
			"contentChanges": []any{map[string]any{"range": map[string]any{"start": map[string]any{"line": 20, "character": 0}, "end": map[string]any{"line": 20, "character": 0}}, "text": "\t// edit\n"}}}})
		waitDiag(version)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(first.Microseconds())/1000, "first-diag-ms")
	send(map[string]any{"id": 2, "method": "shutdown"})
	send(map[string]any{"method": "exit"})
}
