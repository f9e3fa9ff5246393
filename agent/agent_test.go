package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

const secret = "sk-kgent-test-secret-4242"

// step is one scripted answer of the fake endpoint.
type step struct {
	status  int
	content string // the assistant message, for 200
	header  map[string]string
	delay   time.Duration
}

// fakeLLM is an in-process OpenAI-compatible server with scripted replies;
// it records every request body.
type fakeLLM struct {
	mu       sync.Mutex
	steps    []step
	requests []string
	srv      *httptest.Server
}

func newFake(t *testing.T, steps ...step) *fakeLLM {
	f := &fakeLLM{steps: steps}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, string(body))
		if r.Header.Get("Authorization") != "Bearer "+secret {
			f.mu.Unlock()
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":{"message":"no key","type":"auth"}}`)
			return
		}
		if len(f.steps) == 0 {
			f.mu.Unlock()
			w.WriteHeader(500)
			fmt.Fprint(w, `{"error":{"message":"script exhausted","type":"server"}}`)
			return
		}
		s := f.steps[0]
		f.steps = f.steps[1:]
		f.mu.Unlock()
		time.Sleep(s.delay)
		for k, v := range s.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		if s.status != 0 && s.status != 200 {
			w.WriteHeader(s.status)
			fmt.Fprintf(w, `{"error":{"message":"scripted %d","type":"test"}}`, s.status)
			return
		}
		out, _ := json.Marshal(map[string]any{
			"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": s.content}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
		})
		w.Write(out)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeLLM) provider(t *testing.T, mod func(*Config)) *OpenAI {
	cfg := Config{BaseURL: f.srv.URL + "/v1", Model: "fake-model", APIKey: secret, MaxBackoff: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	p, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func hostKBFor(t *testing.T) *kb.KB {
	return testenv.HostKB(t, testenv.Tracefs)
}

func block(code string) string { return "Here it is:\n```bpftrace\n" + code + "```\n" }

// (a) The first reply misspells a tracepoint (kgent repairs it) and
// mismatches a printf (fed back to the model); the second passes bpftrace.
func TestRepairAndFeedback(t *testing.T) {
	k := hostKBFor(t)
	testenv.Require(t, testenv.Bpftrace, testenv.BPF)
	first := "tracepoint:syscalls:sys_enter_opnat\n{\n  printf(\"%s %s\\n\", comm);\n}\n"
	second := "tracepoint:syscalls:sys_enter_openat\n{\n  printf(\"%s %s\\n\", comm, str(args->filename));\n}\n"
	f := newFake(t, step{content: block(first)}, step{content: block(second)}, step{content: "It prints the command and file name of every openat call."})
	r, err := Generate(context.Background(), Request{Text: "print files opened with the process name", Lang: analysis.DialectBpftrace},
		Options{KB: k, Provider: f.provider(t, nil), Verifier: verify.New(verify.Options{KB: k})})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Clean || len(r.Attempts) != 2 || r.Program != second {
		t.Fatalf("result %+v", r)
	}
	if len(r.Attempts[0].Repaired) != 1 || !strings.Contains(r.Attempts[0].Repaired[0], "KG304") {
		t.Fatalf("deterministic repair: %+v", r.Attempts[0].Repaired)
	}
	if !strings.Contains(r.Attempts[0].Program, "sys_enter_openat") {
		t.Fatalf("repaired program %q", r.Attempts[0].Program)
	}
	f.mu.Lock()
	fb := f.requests[1]
	f.mu.Unlock()
	if !strings.Contains(fb, "KG504") || strings.Contains(fb, "KG304 ") && !strings.Contains(fb, "already applied") {
		t.Fatalf("feedback to the model: %s", fb)
	}
	if r.Explanation == "" || r.PromptTokens != 300 {
		t.Fatalf("explanation %q tokens %d", r.Explanation, r.PromptTokens)
	}
}

// (b) N failing replies: the best attempt and every finding come back.
func TestAllAttemptsFail(t *testing.T) {
	k := hostKBFor(t)
	bad1 := "tracepoint:syscalls:sys_enter_openat { @x = log2(1); printf(\"%d\\n\"); }\n"
	bad2 := "tracepoint:syscalls:sys_enter_openat { printf(\"%d %d\\n\", pid); }\n"
	f := newFake(t, step{content: block(bad1)}, step{content: block(bad2)}, step{content: block(bad1)}, step{content: "explanation"})
	r, err := Generate(context.Background(), Request{Text: "count opens", Lang: analysis.DialectBpftrace}, Options{KB: k, Provider: f.provider(t, nil), Attempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	if r.Clean || len(r.Attempts) != 3 {
		t.Fatalf("%+v", r)
	}
	for i, a := range r.Attempts {
		if !analysis.HasErrors(a.Findings) {
			t.Fatalf("attempt %d has no findings", i)
		}
	}
	if errorCount(r.Findings) != 1 {
		t.Fatalf("best attempt has %d errors: %+v", errorCount(r.Findings), r.Findings)
	}
}

// (c) Endpoint errors.
func TestEndpointErrors(t *testing.T) {
	k := hostKBFor(t)
	good := block("tracepoint:syscalls:sys_enter_openat { @x[comm] = count(); }\n")
	req := Request{Text: "count opens per process", Lang: analysis.DialectBpftrace}
	run := func(p *OpenAI) (*Result, error, time.Duration) {
		t0 := time.Now()
		r, err := Generate(context.Background(), req, Options{KB: k, Provider: p, Attempts: 2})
		return r, err, time.Since(t0)
	}
	// 401: a clear message about the key.
	f := newFake(t)
	_, err, _ := run(f.provider(t, func(c *Config) { c.APIKey = secret + "-wrong" }))
	if err == nil || !strings.Contains(err.Error(), "API key") || strings.Contains(err.Error(), secret) {
		t.Fatalf("401: %v", err)
	}
	// 404: unknown model.
	f = newFake(t, step{status: 404})
	if _, err, _ = run(f.provider(t, nil)); err == nil || !strings.Contains(err.Error(), "fake-model") {
		t.Fatalf("404: %v", err)
	}
	// 429 with Retry-After: retried after the pause the server asked for.
	f = newFake(t, step{status: 429, header: map[string]string{"Retry-After": "1"}}, step{content: good}, step{content: "explains opens"})
	r, err, took := run(f.provider(t, nil))
	if err != nil || !r.Clean || took < time.Second {
		t.Fatalf("429: %v %+v after %v", err, r, took)
	}
	// 5xx then success.
	f = newFake(t, step{status: 503}, step{content: good}, step{content: "explains opens"})
	if r, err, _ = run(f.provider(t, nil)); err != nil || !r.Clean {
		t.Fatalf("503: %v", err)
	}
	// Persistent 5xx: a clear error after the retries.
	f = newFake(t, step{status: 500}, step{status: 500}, step{status: 500}, step{status: 500})
	if _, err, _ = run(f.provider(t, func(c *Config) { c.MaxBackoff = 10 * time.Millisecond })); err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("500: %v", err)
	}
	// Timeout.
	f = newFake(t, step{content: good, delay: 2 * time.Second}, step{content: good, delay: 2 * time.Second})
	if _, err, _ = run(f.provider(t, func(c *Config) {
		c.Timeout = 300 * time.Millisecond
		c.Retries = 1
		c.MaxBackoff = 10 * time.Millisecond
	})); err == nil || !strings.Contains(err.Error(), "in time") {
		t.Fatalf("timeout: %v", err)
	}
	// Malformed: no code block, then C instead of bpftrace, then a program.
	f = newFake(t, step{content: "I cannot help with that."}, step{content: "```c\nSEC(\"xdp\") int f() { return 2; }\n```"}, step{content: good}, step{content: "explains opens"})
	r, err = Generate(context.Background(), req, Options{KB: k, Provider: f.provider(t, nil), Attempts: 3})
	if err != nil || !r.Clean || r.Attempts[0].Err == "" || !strings.Contains(r.Attempts[1].Err, "not bpftrace") {
		t.Fatalf("malformed: %v %+v", err, r)
	}
	// (d) the key appears nowhere in results.
	out, _ := json.Marshal(r)
	if strings.Contains(string(out), secret) {
		t.Fatal("the API key leaked into the result")
	}
}

func TestExtractCode(t *testing.T) {
	if _, err := extractCode("no code", analysis.DialectBpftrace); err == nil {
		t.Fatal("accepted a reply without code")
	}
	code, err := extractCode("```\nBEGIN { exit(); }\n```", analysis.DialectBpftrace)
	if err != nil || code != "BEGIN { exit(); }\n" {
		t.Fatalf("%q %v", code, err)
	}
	if _, err := extractCode("```bpftrace\nBEGIN{}\n```", analysis.DialectC); err == nil {
		t.Fatal("accepted bpftrace for C")
	}
}

// BenchmarkAttemptOverhead measures what the agent adds to an attempt
// outside the model call: retrieval for the prompt and the static checks
// (no compile, no verifier).
func BenchmarkAttemptOverhead(b *testing.B) {
	testenv.Require(b, testenv.BTF, testenv.Tracefs)
	k, err := kb.Load(kb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	k.Warm()
	code := "tracepoint:syscalls:sys_enter_opnat\n{\n  printf(\"%s %s\\n\", comm);\n}\n"
	opts := Options{KB: k, PromptBudget: 12000}
	b.ResetTimer()
	for b.Loop() {
		_ = prompt("print files opened with the process name", analysis.DialectBpftrace, opts)
		fs := checkProgram(context.Background(), code, analysis.DialectBpftrace, opts)
		repaired, _ := repair(code, fs)
		checkProgram(context.Background(), repaired, analysis.DialectBpftrace, opts)
	}
}
