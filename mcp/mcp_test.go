package mcp

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/internal/testenv"
)

func session(t *testing.T) *mcp.ClientSession {
	t.Helper()
	hostKB := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	srv := NewServer(Options{KB: hostKB, Version: "test"})
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Wait() })
	return cs
}

func call(t *testing.T, cs *mcp.ClientSession, name string, args any, out any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error %v", name, err)
	}
	if out != nil && !res.IsError {
		data, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

func TestListTools(t *testing.T) {
	cs := session(t)
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tl := range res.Tools {
		names[tl.Name] = true
		if tl.Description == "" || tl.InputSchema == nil || tl.OutputSchema == nil {
			t.Errorf("%s lacks a description or schema", tl.Name)
		}
	}
	for _, n := range []string{"check_program", "lookup_kernel", "search_examples", "generate_program"} {
		if !names[n] {
			t.Errorf("tool %s missing", n)
		}
	}
}

func TestCheckProgram(t *testing.T) {
	cs := session(t)
	var out CheckOutput
	src := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\nSEC(\"tp/sched/sched_switch\")\nint f(void *ctx) { return bpf_get_current_pid() > 0; }\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n"
	call(t, cs, "check_program", map[string]any{"source": src, "language": "c"}, &out)
	if out.Errors != 1 || out.Diagnostics[0].Code != "KG201" || !strings.Contains(out.Diagnostics[0].Message, "bpf_get_current_pid_tgid") {
		t.Fatalf("%+v", out)
	}
	if out.Diagnostics[0].Range.Start.Line != 3 || len(out.Diagnostics[0].Fixes) == 0 {
		t.Fatalf("range/fixes %+v", out.Diagnostics[0])
	}
	// bpftrace, with verification by the real bpftrace.
	testenv.Require(t, testenv.Bpftrace, testenv.BPF)
	call(t, cs, "check_program", map[string]any{"source": "BEGIN { printf(\"%d\\n\", pid); exit(); }", "language": "bpftrace", "verify": true}, &out)
	if out.Errors != 0 {
		t.Fatalf("valid script: %+v", out)
	}
}

func TestLookupKernel(t *testing.T) {
	cs := session(t)
	var out LookupOutput
	call(t, cs, "lookup_kernel", map[string]any{"kind": "function", "query": "tcp_v4_connect"}, &out)
	if len(out.Facts) != 1 || !strings.Contains(strings.Join(out.Facts[0].Details, "\n"), "int tcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)") {
		t.Fatalf("%+v", out)
	}
	call(t, cs, "lookup_kernel", map[string]any{"kind": "helper", "query": "bpf_probe_read_kernal"}, &out)
	if len(out.Facts) != 0 || len(out.Nearest) == 0 || out.Nearest[0] != "bpf_probe_read_kernel" {
		t.Fatalf("%+v", out)
	}
	call(t, cs, "lookup_kernel", map[string]any{"kind": "tracepoint", "query": "syscalls:sys_enter_openat"}, &out)
	if len(out.Facts) != 1 || !strings.Contains(strings.Join(out.Facts[0].Details, "\n"), "filename") {
		t.Fatalf("%+v", out)
	}
	call(t, cs, "lookup_kernel", map[string]any{"kind": "sec", "query": "tp_btf/sched_switch"}, &out)
	if len(out.Facts) != 1 || !strings.Contains(out.Facts[0].Details[0], "tracing") {
		t.Fatalf("%+v", out)
	}
}

func TestSearchAndGenerate(t *testing.T) {
	cs := session(t)
	var s SearchOutput
	call(t, cs, "search_examples", map[string]any{"query": "which files are opened", "language": "bpftrace"}, &s)
	if len(s.Examples) == 0 || !strings.Contains(s.Examples[0].Source, "openat") {
		t.Fatalf("%+v", s)
	}
	var g GenerateOutput
	call(t, cs, "generate_program", map[string]any{"request": "count context switches per task", "language": "bt"}, &g)
	if g.Provider != "offline" || !strings.Contains(g.Program, "sched_switch") || !strings.Contains(strings.Join(g.Notes, " "), "not a generated program") {
		t.Fatalf("%+v", g)
	}
}

func TestBadRequests(t *testing.T) {
	cs := session(t)
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"check_program", map[string]any{"source": "", "language": "c"}},
		{"check_program", map[string]any{"source": "BEGIN{}", "language": "python"}},
		{"lookup_kernel", map[string]any{"kind": "planet", "query": "x"}},
		{"lookup_kernel", map[string]any{"kind": "helper", "query": ""}},
		{"search_examples", map[string]any{"query": " "}},
		{"generate_program", map[string]any{"request": ""}},
	} {
		res := call(t, cs, c.tool, c.args, nil)
		if !res.IsError {
			t.Errorf("%s %v: not a tool error", c.tool, c.args)
		}
	}
	// A missing required argument fails validation, still without a crash.
	if res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "check_program", Arguments: map[string]any{}}); err == nil && !res.IsError {
		t.Error("missing arguments accepted")
	}
	// The server keeps serving.
	var out LookupOutput
	call(t, cs, "lookup_kernel", map[string]any{"kind": "kfunc", "query": "bpf_task_acquire"}, &out)
	if len(out.Facts) != 1 {
		t.Fatalf("%+v", out)
	}
}

// TestBinaryOverStdio runs the built kgent mcp as a subprocess.
func TestBinaryOverStdio(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	bin := filepath.Join(t.TempDir(), "kgent")
	build := exec.Command("go", "build", "-o", bin, "../cmd/kgent")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "mcp")
	cmd.Env = append(os.Environ(), "KGENT_KB_DIR="+t.TempDir())
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	var out LookupOutput
	call(t, cs, "lookup_kernel", map[string]any{"kind": "function", "query": "tcp_v4_connect"}, &out)
	if len(out.Facts) != 1 {
		t.Fatalf("%+v", out)
	}
}
