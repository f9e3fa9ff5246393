package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/agent"
	"github.com/kgent/kgent/internal/fakellm"
)

// generate_program with the endpoint and key of the server's environment
// (as `kgent mcp` configures them), the endpoint echoing the key: the key
// reaches the endpoint and appears in no answer, progress or log line.
func TestGenerateEchoedKeyNowhere(t *testing.T) {
	const key = "sk-kgent-mcp-fake-key-9090-hgfedcba"
	prog := "tracepoint:syscalls:sys_enter_openat\n{\n  @[comm] = count(); // KEY\n}\n"
	srv := fakellm.New(t, "```bpftrace\n"+prog+"```", "It counts openat calls per command (KEY).")
	t.Setenv("KGENT_LLM_BASE_URL", srv.URL+"/v1")
	t.Setenv("KGENT_LLM_MODEL", "m")
	t.Setenv("OPENAI_API_KEY", key)
	cfg, ok := agent.ConfigFromEnv()
	if !ok {
		t.Fatal("no endpoint configured")
	}
	p, err := agent.NewOpenAI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(b)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	cs := session(t, Options{Provider: p, Logger: logger})
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "generate_program",
		Arguments: map[string]any{"request": "count opens per command", "language": "bpftrace"}})
	if err != nil || res.IsError {
		t.Fatalf("%v %s", err, text(res))
	}
	raw, _ := json.Marshal(res)
	logMu.Lock()
	all := string(raw) + logs.String()
	logMu.Unlock()
	if strings.Contains(all, key) {
		t.Fatalf("the key appears in the answer or the log:\n%s", all)
	}
	if !strings.Contains(string(raw), "sys_enter_openat") {
		t.Fatalf("no program: %s", raw)
	}
	if auths := srv.Auths(); len(auths) == 0 || auths[0] != "Bearer "+key {
		t.Fatalf("the environment's endpoint did not get the key: %q", auths)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
