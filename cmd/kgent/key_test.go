package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
)

// kgent gen with the key and the endpoint from the environment, the
// endpoint echoing the key in its answers: the key reaches the endpoint
// and appears nowhere in what kgent prints, in text or JSON.
func TestGenEchoedKeyNotPrinted(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Tracefs)
	const key = "sk-kgent-gen-fake-key-8080-qponmlkj"
	var mu sync.Mutex
	var auths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		mu.Lock()
		auths = append(auths, auth)
		mu.Unlock()
		token := strings.TrimPrefix(auth, "Bearer ")
		var req struct {
			Messages []struct{ Role, Content string }
		}
		json.NewDecoder(r.Body).Decode(&req)
		answer := "```bpftrace\ntracepoint:syscalls:sys_enter_openat { @[comm] = count(); } // " + token + "\n```\nKey: " + token
		if last := req.Messages[len(req.Messages)-1].Content; strings.HasPrefix(last, "In one paragraph") {
			answer = "Counts openat calls per command, with key " + token + "."
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "model": "m",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": answer}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}})
	}))
	defer srv.Close()
	t.Setenv("KGENT_LLM_BASE_URL", srv.URL+"/v1")
	t.Setenv("KGENT_LLM_MODEL", "m")
	t.Setenv("OPENAI_API_KEY", key)
	for _, args := range [][]string{
		{"gen", "--no-verify", "count opens per command"},
		{"gen", "--no-verify", "--json", "count opens per command"},
	} {
		code, out, errOut := runCLI(t, args...)
		if code != 0 || !strings.Contains(out, "sys_enter_openat") {
			t.Fatalf("kgent %v: exit %d\n%s\n%s", args, code, out, errOut)
		}
		if strings.Contains(out+errOut, key) {
			t.Fatalf("kgent %v printed the key:\n%s\n%s", args, out, errOut)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auths) == 0 || auths[0] != "Bearer "+key {
		t.Fatalf("the environment's endpoint did not get the key: %q", auths)
	}
}
