// Package fakellm is the one fake of the test suites: an OpenAI-compatible
// chat endpoint on 127.0.0.1 with scripted replies, driven by the real
// go-openai client. It records the Authorization header of every request,
// and like real endpoints that echo a wrong key it puts the bearer token
// it received wherever a reply says KEY, so a test can prove the key
// reaches no output.
package fakellm

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Server is a running fake endpoint; its base URL for clients is URL+"/v1".
type Server struct {
	URL     string
	mu      sync.Mutex
	replies []string
	auths   []string
	bodies  []string
}

// New starts a fake endpoint answering with replies in order, then "no
// more"; it stops when the test ends.
func New(t testing.TB, replies ...string) *Server {
	s := &Server{replies: replies}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.auths = append(s.auths, auth)
		s.bodies = append(s.bodies, string(body))
		content := "no more"
		if len(s.replies) > 0 {
			content, s.replies = s.replies[0], s.replies[1:]
		}
		s.mu.Unlock()
		content = strings.ReplaceAll(content, "KEY", strings.TrimPrefix(auth, "Bearer "))
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "model": "m",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Auths returns the Authorization header of every request so far.
func (s *Server) Auths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

// LastUserMessages returns, for every request so far, the content of its
// last user message: what the client asked the model that time.
func (s *Server) LastUserMessages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, b := range s.bodies {
		var req struct {
			Messages []struct{ Role, Content string }
		}
		last := ""
		if json.Unmarshal([]byte(b), &req) == nil {
			for _, m := range req.Messages {
				if m.Role == "user" {
					last = m.Content
				}
			}
		}
		out = append(out, last)
	}
	return out
}
