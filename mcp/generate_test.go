package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/agent"
	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/internal/testenv"
)

const secret = "sk-kgent-mcp-test-7a7a7a"

// fakeLLM is an in-process OpenAI-compatible endpoint answering with
// scripted chat completions; it refuses requests without the key.
func fakeLLM(t *testing.T, replies ...string) *httptest.Server {
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("Authorization") != "Bearer "+secret {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":{"message":"bad key","type":"auth"}}`)
			return
		}
		mu.Lock()
		if len(replies) == 0 {
			mu.Unlock()
			w.WriteHeader(500)
			fmt.Fprint(w, `{"error":{"message":"script exhausted","type":"server"}}`)
			return
		}
		content := replies[0]
		replies = replies[1:]
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func openAI(t *testing.T, url, key string) *agent.OpenAI {
	p, err := agent.NewOpenAI(agent.Config{BaseURL: url + "/v1", Model: "fake-model", APIKey: key, Retries: 1, MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGenerateOffline(t *testing.T) {
	cs := session(t, Options{})
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range res.Tools {
		if tl.Name == "generate_program" && !strings.Contains(tl.Description, "offline") {
			t.Errorf("the description does not say the provider is offline: %s", tl.Description)
		}
	}
	var g GenerateOutput
	call(t, cs, "generate_program", map[string]any{"request": "count context switches per task", "language": "bt"}, &g)
	if g.Provider != "offline" || !g.Offline || g.Example == "" || !strings.Contains(g.Program, "sched_switch") ||
		!strings.Contains(strings.Join(g.Notes, " "), "not a generated program") || !g.Clean {
		t.Fatalf("%+v", g)
	}
	canVerify := testenv.Missing(testenv.BPF) == "" && testenv.Missing(testenv.Bpftrace) == ""
	if g.Verified != canVerify || len(g.Attempts) != 1 {
		t.Fatalf("verified %v (bpftrace and BPF here: %v), attempts %+v", g.Verified, canVerify, g.Attempts)
	}
	// What it says of the program is what check_program says.
	var c CheckOutput
	call(t, cs, "check_program", map[string]any{"source": g.Program, "language": g.Language}, &c)
	if c.Errors != 0 {
		t.Fatalf("offline program has errors: %+v", c.Diagnostics)
	}
}

func TestGenerateWithLLM(t *testing.T) {
	prog := "tracepoint:syscalls:sys_enter_openat\n{\n  printf(\"%s %s\\n\", comm, str(args->filename));\n}\n"
	srv := fakeLLM(t, "```bpftrace\n"+prog+"```", "It prints the command and the file of every openat.")
	cs := session(t, Options{Provider: openAI(t, srv.URL, secret), Secrets: []string{secret}})
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "generate_program",
		Arguments: map[string]any{"request": "show files opened with the process name", "language": "bpftrace"}})
	if err != nil || res.IsError {
		t.Fatalf("%v %s", err, text(res))
	}
	raw, _ := json.Marshal(res)
	if strings.Contains(string(raw), secret) {
		t.Fatal("the API key appears in the answer")
	}
	var g GenerateOutput
	data, _ := json.Marshal(res.StructuredContent)
	json.Unmarshal(data, &g)
	if g.Provider != "openai" || g.Offline || g.Program != prog || !g.Clean || len(g.Attempts) != 1 || g.Attempts[0].Errors != 0 ||
		!strings.Contains(g.Explanation, "openat") || g.Tokens != 240 || len(g.Context) == 0 {
		t.Fatalf("%+v", g)
	}
	if canVerify := testenv.Missing(testenv.BPF) == "" && testenv.Missing(testenv.Bpftrace) == ""; g.Verified != canVerify {
		t.Fatalf("verified %v, bpftrace and BPF here: %v", g.Verified, canVerify)
	}

	// A wrong key: a tool error that names the problem, never the key.
	cs = session(t, Options{Provider: openAI(t, srv.URL, secret+"-wrong"), Secrets: []string{secret + "-wrong"}})
	res = call(t, cs, "generate_program", map[string]any{"request": "count opens"}, nil)
	if !res.IsError || !strings.Contains(text(res), "API key") || strings.Contains(text(res), secret) {
		t.Fatalf("401: %v %q", res.IsError, text(res))
	}

	// A provider that cannot be made: generate_program says why, the
	// other tools serve.
	cs = session(t, Options{ProviderErr: errors.New("KGENT_LLM_MODEL (or llm.model) is required with a custom endpoint")})
	res = call(t, cs, "generate_program", map[string]any{"request": "count opens"}, nil)
	if !res.IsError || !strings.Contains(text(res), "KGENT_LLM_MODEL") {
		t.Fatalf("%q", text(res))
	}
}

// TestGenerateProgress: a client that asks for progress gets the agent's
// steps as notifications.
func TestGenerateProgress(t *testing.T) {
	prog := "tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }\n"
	srv := fakeLLM(t, "```bpftrace\n"+prog+"```", "Counts openat calls per command.")
	opts := Options{Provider: openAI(t, srv.URL, secret)}
	var mu sync.Mutex
	var got []string
	opts.Pipeline = pipeline.New(pipeline.Config{}, testenv.HostKB(t, testenv.Tracefs, testenv.Headers))
	st, ct := mcp.NewInMemoryTransports()
	ss, err := NewServer(opts).Connect(context.Background(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "test"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			got = append(got, r.Params.Message)
			mu.Unlock()
		}})
	cs, err := client.Connect(context.Background(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cs.Close(); ss.Wait() }()
	params := &mcp.CallToolParams{Name: "generate_program", Arguments: map[string]any{"request": "count opens per command", "language": "bt"}}
	params.SetProgressToken("gen-1")
	res, err := cs.CallTool(context.Background(), params)
	if err != nil || res.IsError {
		t.Fatalf("%v %s", err, text(res))
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 || !strings.Contains(got[0], "attempt 1") {
		t.Fatalf("progress %q", got)
	}
}
