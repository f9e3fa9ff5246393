package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// keyRecorder is an OpenAI-compatible endpoint on 127.0.0.1 that records
// every Authorization header and answers with content (where "KEY" is
// replaced by the bearer token it was given, as an endpoint echoing what
// it received would).
type keyRecorder struct {
	mu    sync.Mutex
	auths []string
	srv   *httptest.Server
}

func newKeyRecorder(t *testing.T, content string) *keyRecorder {
	k := &keyRecorder{}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		k.auths = append(k.auths, r.Header.Get("Authorization"))
		k.mu.Unlock()
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "model": "m",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": strings.ReplaceAll(content, "KEY", token)}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
	}))
	t.Cleanup(k.srv.Close)
	return k
}

func (k *keyRecorder) sawKey(key string) (requests int, saw bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, a := range k.auths {
		saw = saw || strings.Contains(a, key)
	}
	return len(k.auths), saw
}

// The environment's key goes to the environment's endpoint only: a base
// URL set elsewhere (settings, a flag) gets no key, and a warning without
// the key says why; the same URL in the environment gets it.
func TestEnvKeyOnlyToEnvEndpoint(t *testing.T) {
	ctx := context.Background()
	msgs := []Message{{Role: "user", Content: "hi"}}

	// The environment names OpenAI (no base URL); the settings name ours.
	other := newKeyRecorder(t, "hello")
	t.Setenv("OPENAI_API_KEY", secret)
	t.Setenv("KGENT_LLM_BASE_URL", "")
	t.Setenv("KGENT_LLM_MODEL", "")
	cfg, ok := ConfigFromEnv()
	if !ok {
		t.Fatal("a key alone configures an endpoint")
	}
	cfg.BaseURL, cfg.Model = other.srv.URL+"/v1", "m"
	p, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Complete(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	n, saw := other.sawKey(secret)
	if n == 0 || saw {
		t.Fatalf("%d requests; the key reached a settings-chosen endpoint: %v", n, saw)
	}
	if other.auths[0] != "" {
		t.Errorf("an Authorization header without a key was sent: %q", other.auths[0])
	}
	w := p.KeyWithheld()
	if w == "" || strings.Contains(w, secret) || strings.Contains(w, secret[:8]) || !strings.Contains(w, "KGENT_LLM_BASE_URL") {
		t.Fatalf("warning %q", w)
	}

	// The environment names another server than the settings: no key.
	t.Setenv("KGENT_LLM_BASE_URL", "http://127.0.0.1:1/v1")
	cfg, _ = ConfigFromEnv()
	cfg.BaseURL, cfg.Model = other.srv.URL+"/v1", "m"
	p, _ = NewOpenAI(cfg)
	p.Complete(ctx, msgs)
	if _, saw := other.sawKey(secret); saw || p.KeyWithheld() == "" {
		t.Fatal("the key reached an endpoint the environment did not name")
	}

	// The environment names this server: the key is sent.
	own := newKeyRecorder(t, "hello")
	t.Setenv("KGENT_LLM_BASE_URL", own.srv.URL+"/v1/")
	t.Setenv("KGENT_LLM_MODEL", "m")
	cfg, _ = ConfigFromEnv()
	cfg.BaseURL = own.srv.URL + "/v1" // the same endpoint, written without the slash
	p, _ = NewOpenAI(cfg)
	if _, err := p.Complete(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if _, saw := own.sawKey(secret); !saw || p.KeyWithheld() != "" {
		t.Fatalf("the environment's own endpoint did not get the key (warning %q)", p.KeyWithheld())
	}
}

// An endpoint that echoes the key in its answer: the reply the agent sees
// does not hold it.
func TestEchoedKeyRedacted(t *testing.T) {
	echo := newKeyRecorder(t, "```bpftrace\nBEGIN { printf(\"KEY\\n\"); }\n```\nYour key is KEY.")
	p, err := NewOpenAI(Config{BaseURL: echo.srv.URL + "/v1", Model: "m", APIKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Complete(context.Background(), []Message{{Role: "user", Content: "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, saw := echo.sawKey(secret); !saw {
		t.Fatal("the key was not sent to its endpoint")
	}
	if strings.Contains(r.Content, secret) || !strings.Contains(r.Content, "[redacted]") {
		t.Fatalf("reply %q", r.Content)
	}
}
