package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/fakellm"
	"github.com/kgent/kgent/internal/testenv"
)

func TestGenOffline(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Tracefs)
	t.Setenv("KGENT_LLM_BASE_URL", "")
	t.Setenv("OPENAI_API_KEY", "")
	var out, errb bytes.Buffer
	code := run([]string{"gen", "--no-verify", "count context switches per task"}, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "sched_switch") || !strings.Contains(errb.String(), "not a generated program") {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	file := filepath.Join(t.TempDir(), "x.bt")
	out.Reset()
	if code := run([]string{"gen", "--no-verify", "--out", file, "--json", "trace files opened by pid 42"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var g jsonGen
	if err := json.Unmarshal(out.Bytes(), &g); err != nil || g.Provider != "offline" || len(g.Attempts) != 1 || !strings.Contains(g.Program, "pid == 42") {
		t.Fatalf("%v %+v", err, g)
	}
	if b, _ := os.ReadFile(file); string(b) != g.Program {
		t.Fatalf("--out wrote %q", b)
	}
	if code := run([]string{"gen", "--lang", "go", "x"}, &out, &errb); code != 2 {
		t.Fatalf("bad --lang: exit %d", code)
	}
}

// The key reaches the endpoint and nothing else: not stderr, not stdout.
func TestGenKeyNotPrinted(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Tracefs)
	const key = "sk-cmd-test-key-0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s"}}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	defer srv.Close()
	t.Setenv("KGENT_LLM_BASE_URL", srv.URL+"/v1")
	t.Setenv("KGENT_LLM_MODEL", "m")
	t.Setenv("OPENAI_API_KEY", key)
	var out, errb bytes.Buffer
	code := run([]string{"gen", "--no-verify", "count opens"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "API key") || strings.Contains(out.String()+errb.String(), key) {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
}

func TestEvalLines(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Tracefs)
	dir := t.TempDir()
	prompts := filepath.Join(dir, "p.txt")
	os.WriteFile(prompts, []byte("# two requests\ncount context switches per task\nzzqx wvvy\n"), 0o644)
	report := filepath.Join(dir, "r.json")
	var out, errb bytes.Buffer
	if code := run([]string{"eval", "--provider", "offline", "--no-verify", "--out", report, prompts}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep evalReport
	b, _ := os.ReadFile(report)
	if err := json.Unmarshal(b, &rep); err != nil || rep.Total != 2 || rep.Clean != 1 || rep.Errors != 1 || rep.Verified != 0 {
		t.Fatalf("%v %+v\n%s", err, rep, out.String())
	}
	if !strings.Contains(out.String(), "1 clean") {
		t.Fatalf("summary:\n%s", out.String())
	}
}

// eval with the openai provider against a scripted endpoint: the first
// answer to each request invents a helper, the second is right.
func TestEvalOpenAI(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Tracefs)
	const key = "sk-eval-test-key-0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Role, Content string }
		}
		json.NewDecoder(r.Body).Decode(&req)
		last := req.Messages[len(req.Messages)-1].Content
		answer := "```bpftrace\ntracepoint:syscalls:sys_enter_openat { @[comm] = count(); }\n```"
		switch {
		case strings.HasPrefix(last, "In one paragraph"):
			answer = "Counts openat calls per command."
		case strings.HasPrefix(last, "Request:"):
			answer = "```bpftrace\ntracepoint:syscalls:sys_enter_openat { @[procname()] = count(); }\n```"
		}
		b, _ := json.Marshal(map[string]any{"id": "x", "object": "chat.completion", "model": "m",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": answer}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60}})
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	defer srv.Close()
	t.Setenv("KGENT_LLM_BASE_URL", srv.URL+"/v1")
	t.Setenv("KGENT_LLM_MODEL", "m")
	t.Setenv("OPENAI_API_KEY", key)
	dir := t.TempDir()
	prompts := filepath.Join(dir, "p.json")
	os.WriteFile(prompts, []byte(`[{"request": "count opens per command", "lang": "bt", "expect_probes": ["tracepoint"]},
		{"request": "统计每个进程打开文件的次数", "expect_probes": ["kprobe"]}]`), 0o644)
	report := filepath.Join(dir, "r.json")
	var out, errb bytes.Buffer
	if code := run([]string{"eval", "--no-verify", "--out", report, prompts}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep evalReport
	b, _ := os.ReadFile(report)
	if err := json.Unmarshal(b, &rep); err != nil || rep.Provider != "openai" || rep.Total != 2 || rep.Clean != 2 || rep.ProbesOK != 1 ||
		rep.Rows[0].Attempts != 2 || rep.Rows[0].Tokens != 180 || rep.MeanTries != 2 {
		t.Fatalf("%v %+v\n%s", err, rep, out.String())
	}
	if strings.Contains(out.String()+errb.String()+string(b), key) {
		t.Fatal("the key appears in eval's output")
	}
}

// A model's program is verified as untrusted: steered by a prompt to
// include a private file beside the user's work (mode 0600, so only root
// may read it), it gets no copy of it from the compiler's messages.
func TestGenModelProgramUntrusted(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Tracefs, testenv.Clang, testenv.BPF, testenv.Headers)
	const token = "kgent-private-token-5f3a9c"
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile(filepath.Join(dir, "private.h"), []byte("#error "+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	prog := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n#include \"private.h\"\n\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n\n" +
		"SEC(\"tracepoint/syscalls/sys_enter_openat\")\nint f(void *ctx)\n{\n\treturn 0;\n}\n"
	srv := fakellm.New(t, "```c\n"+prog+"```")
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	t.Setenv("KGENT_LLM_BASE_URL", srv.URL+"/v1")
	t.Setenv("KGENT_LLM_MODEL", "m")
	t.Setenv("OPENAI_API_KEY", "sk-test")
	var out, errb bytes.Buffer
	code := run([]string{"gen", "--lang", "c", "--attempts", "1", "--json", "count openat calls"}, &out, &errb)
	if strings.Contains(out.String()+errb.String(), token) {
		t.Fatalf("the private header's text reached the output (exit %d):\n%s\n%s", code, out.String(), errb.String())
	}
	var g jsonGen
	if err := json.Unmarshal(out.Bytes(), &g); err != nil || g.Verified {
		t.Fatalf("%v: verified %v\n%s\n%s", err, g.Verified, out.String(), errb.String())
	}
}
