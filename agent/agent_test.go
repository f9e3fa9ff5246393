package agent

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

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

const secret = "sk-kgent-test-secret-4242-abcdefgh"

// step is one scripted answer of the fake endpoint.
type step struct {
	status    int
	content   string // the assistant message, for 200
	raw       string // a raw 200 body instead of a chat completion
	noChoices bool
	errMsg    string // the error message of a non-200 answer
	header    map[string]string
	delay     time.Duration
}

// fakeLLM is an in-process OpenAI-compatible server with scripted
// replies; it records every request body. It is the only fake in these
// tests: go-openai, the checks, the compiler and the verifier are real.
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
		w.Header().Set("Content-Type", "application/json")
		if auth := r.Header.Get("Authorization"); auth != "Bearer "+secret {
			f.mu.Unlock()
			w.WriteHeader(401)
			// Real endpoints echo the key they were given.
			fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s","type":"invalid_request_error"}}`, strings.TrimPrefix(auth, "Bearer "))
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
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
		for k, v := range s.header {
			w.Header().Set(k, v)
		}
		if s.status != 0 && s.status != 200 {
			w.WriteHeader(s.status)
			msg := s.errMsg
			if msg == "" {
				msg = fmt.Sprintf("scripted %d", s.status)
			}
			b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": "test"}})
			w.Write(b)
			return
		}
		if s.raw != "" {
			fmt.Fprint(w, s.raw)
			return
		}
		choices := []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": s.content}, "finish_reason": "stop"}}
		if s.noChoices {
			choices = []any{}
		}
		out, _ := json.Marshal(map[string]any{
			"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
			"choices": choices,
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

// request is the i-th request's last user message.
func (f *fakeLLM) request(t *testing.T, i int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.requests) {
		t.Fatalf("only %d requests reached the endpoint", len(f.requests))
	}
	var body struct {
		Messages []struct{ Role, Content string }
	}
	if err := json.Unmarshal([]byte(f.requests[i]), &body); err != nil || len(body.Messages) == 0 {
		t.Fatalf("request %d: %v", i, err)
	}
	return body.Messages[len(body.Messages)-1].Content
}

func block(lang, code string) string {
	return "Here it is:\n```" + lang + "\n" + code + "```\nRun it as root.\n"
}

// progressLog collects progress lines.
type progressLog struct {
	mu    sync.Mutex
	lines []string
}

func (p *progressLog) add(s string) { p.mu.Lock(); p.lines = append(p.lines, s); p.mu.Unlock() }
func (p *progressLog) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// (a) The first reply invents a tracepoint (kgent renames it to the
// nearest one) and a helper (no safe rename: the finding goes to the
// model); the second reply loads through the real verifier.
func TestRepairAndFeedbackC(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	testenv.Require(t, testenv.Clang, testenv.BPF)
	head := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n\n"
	first := head + "SEC(\"tracepoint/syscalls/sys_enter_opnat\")\nint trace_openat(void *ctx)\n{\n\tu32 pid = bpf_get_process_id();\n\tbpf_printk(\"openat by %d\", pid);\n\treturn 0;\n}\n"
	second := head + "SEC(\"tracepoint/syscalls/sys_enter_openat\")\nint trace_openat(void *ctx)\n{\n\tu32 pid = bpf_get_current_pid_tgid() >> 32;\n\tbpf_printk(\"openat by %d\", pid);\n\treturn 0;\n}\n"
	f := newFake(t, step{content: block("c", first)}, step{content: block("c", second)},
		step{content: "It prints the pid of every process that calls openat, through the trace pipe."})
	var log progressLog
	r, err := Generate(context.Background(), Request{Text: "print the pid of processes that open files", Lang: analysis.DialectC},
		Options{Pipeline: pipe(k), Provider: f.provider(t, nil), Verify: true, Progress: log.add})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Clean || !r.Verified || len(r.Attempts) != 2 || r.Program != second || r.Best != 1 {
		t.Fatalf("clean %v verified %v attempts %d findings %+v\n%s", r.Clean, r.Verified, len(r.Attempts), r.Findings, r.Program)
	}
	a := r.Attempts[0]
	if len(a.Repaired) != 1 || !strings.HasPrefix(a.Repaired[0], "KG304") || !strings.Contains(a.Program, "sys_enter_openat\"") || a.Reply != first {
		t.Fatalf("deterministic repair: %v\n%s", a.Repaired, a.Program)
	}
	if len(a.Findings) != 1 || a.Findings[0].Code != analysis.KG201 {
		t.Fatalf("attempt 1 findings after repair: %+v", a.Findings)
	}
	fb := f.request(t, 1)
	for _, want := range []string{"KG201 unknown helper bpf_get_process_id", "already applied", "KG304", "sys_enter_openat"} {
		if !strings.Contains(fb, want) {
			t.Fatalf("feedback lacks %q:\n%s", want, fb)
		}
	}
	if strings.Contains(fb, "sys_enter_opnat") {
		t.Fatalf("the feedback shows the model its invented tracepoint, not kgent's repair:\n%s", fb)
	}
	// The first prompt carried the examples and the kernel's facts.
	prompt := f.request(t, 0)
	if !strings.Contains(prompt, "Verified example") || !strings.Contains(prompt, "sys_enter_openat fields:") || !strings.Contains(prompt, "kprobe: no") {
		t.Fatalf("prompt:\n%s", prompt)
	}
	if r.Explanation == "" || r.PromptTokens != 300 || r.CompletionTokens != 60 || len(r.Mismatches) != 0 {
		t.Fatalf("explanation %q tokens %d/%d mismatches %v", r.Explanation, r.PromptTokens, r.CompletionTokens, r.Mismatches)
	}
	if !strings.Contains(log.String(), "attempt 1: kgent repaired KG304") || !strings.Contains(log.String(), "attempt 2: passes the static checks and verification") {
		t.Fatalf("progress:\n%s", log.String())
	}
}

// (a) in bpftrace: the same through bpftrace's own semantic pass.
func TestRepairAndFeedbackBpftrace(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	testenv.Require(t, testenv.Bpftrace, testenv.BPF)
	first := "tracepoint:syscalls:sys_enter_opnat\n{\n  printf(\"%d %s\\n\", procid(), str(args->filename));\n}\n"
	second := "tracepoint:syscalls:sys_enter_openat\n{\n  printf(\"%d %s\\n\", pid, str(args->filename));\n}\n"
	f := newFake(t, step{content: block("bpftrace", first)}, step{content: block("bpftrace", second)},
		step{content: "Prints the pid and file name of every openat call."})
	r, err := Generate(context.Background(), Request{Text: "print files opened with the pid", Lang: analysis.DialectBpftrace},
		Options{Pipeline: pipe(k), Provider: f.provider(t, nil), Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Verified || len(r.Attempts) != 2 || r.Program != second {
		t.Fatalf("%+v", r)
	}
	if len(r.Attempts[0].Repaired) != 1 || !strings.Contains(r.Attempts[0].Repaired[0], "KG304") {
		t.Fatalf("repairs %v", r.Attempts[0].Repaired)
	}
	if fb := f.request(t, 1); !strings.Contains(fb, "KG201 unknown function procid") {
		t.Fatalf("feedback:\n%s", fb)
	}
}

// (b) N failing replies: the best attempt and every attempt's findings
// come back, and the feedback remembers what was refused before.
func TestAllAttemptsFail(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	bad1 := "tracepoint:syscalls:sys_enter_openat { @x = log2(1); printf(\"%d\\n\"); }\n"
	bad2 := "tracepoint:syscalls:sys_enter_openat { printf(\"%d %d\\n\", pid); }\n"
	f := newFake(t, step{content: block("bpftrace", bad1)}, step{content: block("bpftrace", bad2)}, step{content: block("bpftrace", bad1)}, step{content: "explanation"})
	r, err := Generate(context.Background(), Request{Text: "count opens", Lang: analysis.DialectBpftrace}, Options{Pipeline: pipe(k), Provider: f.provider(t, nil), Attempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	if r.Clean || r.Verified || len(r.Attempts) != 3 || r.Best != 1 {
		t.Fatalf("clean %v attempts %d best %d", r.Clean, len(r.Attempts), r.Best)
	}
	for i, a := range r.Attempts {
		if !analysis.HasErrors(a.Findings) {
			t.Fatalf("attempt %d has no findings", i)
		}
	}
	if errorCount(r.Findings) != 1 || r.Program != bad2 {
		t.Fatalf("best attempt has %d errors: %+v", errorCount(r.Findings), r.Findings)
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "no attempt passed the checks") {
		t.Fatalf("notes %v", r.Notes)
	}
	// The third request's feedback (after attempt 2) lists attempt 1's
	// refusals; no request grows with every attempt.
	fb := f.request(t, 2)
	if !strings.Contains(fb, "Refused in earlier attempts") || !strings.Contains(fb, "log2") {
		t.Fatalf("feedback has no memory:\n%s", fb)
	}
	f.mu.Lock()
	n1, n3 := len(f.requests[1]), len(f.requests[2])
	f.mu.Unlock()
	if n3 > n1*2 {
		t.Fatalf("the conversation grows: %d then %d bytes", n1, n3)
	}
}

// The model repeats a refused choice: the feedback says so.
func TestMemoryRepeated(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	bad := "tracepoint:syscalls:sys_enter_openat { printf(\"%d\\n\", procid()); }\n"
	bad2 := "tracepoint:syscalls:sys_enter_openat { @[procid()] = count(); }\n"
	f := newFake(t, step{content: block("bpftrace", bad)}, step{content: block("bpftrace", bad2)}, step{content: block("bpftrace", bad)}, step{content: "x"})
	if _, err := Generate(context.Background(), Request{Text: "count opens by pid", Lang: analysis.DialectBpftrace}, Options{Pipeline: pipe(k), Provider: f.provider(t, nil)}); err != nil {
		t.Fatal(err)
	}
	if fb := f.request(t, 2); !strings.Contains(fb, "You repeated choices an earlier attempt was refused for") || !strings.Contains(fb, "`procid`") {
		t.Fatalf("feedback:\n%s", fb)
	}
}

// (c) Endpoint errors: a clear message, retries where they can help,
// never a crash.
func TestEndpointErrors(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	good := block("bpftrace", "tracepoint:syscalls:sys_enter_openat { @x[comm] = count(); }\n")
	req := Request{Text: "count opens per process", Lang: analysis.DialectBpftrace}
	run := func(t *testing.T, p *OpenAI) (*Result, error, time.Duration) {
		t0 := time.Now()
		r, err := Generate(context.Background(), req, Options{Pipeline: pipe(k), Provider: p, Attempts: 3})
		return r, err, time.Since(t0)
	}
	fast := func(c *Config) { c.MaxBackoff = 10 * time.Millisecond }
	t.Run("401", func(t *testing.T) {
		f := newFake(t)
		_, err, _ := run(t, f.provider(t, func(c *Config) { c.APIKey = secret + "-wrong" }))
		if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "API key") || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "abcdefgh") {
			t.Fatalf("%v", err)
		}
		if len(f.requests) != 1 {
			t.Fatalf("401 was retried %d times", len(f.requests)-1)
		}
	})
	t.Run("404", func(t *testing.T) {
		f := newFake(t, step{status: 404, errMsg: "The model `fake-model` does not exist"})
		if _, err, _ := run(t, f.provider(t, nil)); !errors.Is(err, ErrUnknownModel) || !strings.Contains(err.Error(), "fake-model") || !strings.Contains(err.Error(), "KGENT_LLM_MODEL") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("429 Retry-After", func(t *testing.T) {
		f := newFake(t, step{status: 429, header: map[string]string{"Retry-After": "1"}}, step{content: good}, step{content: "counts opens per process"})
		r, err, took := run(t, f.provider(t, nil))
		if err != nil || !r.Clean || took < time.Second {
			t.Fatalf("%v %+v after %v", err, r, took)
		}
	})
	t.Run("429 gives up", func(t *testing.T) {
		f := newFake(t, step{status: 429}, step{status: 429}, step{status: 429}, step{status: 429})
		if _, err, _ := run(t, f.provider(t, fast)); !errors.Is(err, ErrRateLimited) || !strings.Contains(err.Error(), "after 3 retries") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("5xx then success", func(t *testing.T) {
		f := newFake(t, step{status: 503}, step{status: 502}, step{content: good}, step{content: "counts opens per process"})
		if r, err, _ := run(t, f.provider(t, fast)); err != nil || !r.Clean {
			t.Fatalf("%v", err)
		}
	})
	t.Run("5xx persists", func(t *testing.T) {
		f := newFake(t, step{status: 500}, step{status: 500}, step{status: 500}, step{status: 500})
		if _, err, _ := run(t, f.provider(t, fast)); !errors.Is(err, ErrServer) || !strings.Contains(err.Error(), "HTTP 500") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		f := newFake(t, step{content: good, delay: 2 * time.Second}, step{content: good, delay: 2 * time.Second})
		_, err, took := run(t, f.provider(t, func(c *Config) {
			c.Timeout = 200 * time.Millisecond
			c.Retries = 1
			c.MaxBackoff = 10 * time.Millisecond
		}))
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "in time") || took > 1500*time.Millisecond {
			t.Fatalf("%v after %v", err, took)
		}
	})
	t.Run("malformed replies", func(t *testing.T) {
		f := newFake(t,
			step{content: "I cannot help with that."},
			step{content: "```c\n#include <bpf/bpf_helpers.h>\nSEC(\"xdp\") int f() { return 2; }\n```"},
			step{content: good}, step{content: "counts opens per process"})
		r, err, _ := run(t, f.provider(t, nil))
		if err != nil || !r.Clean || !strings.Contains(r.Attempts[0].Err, "no fenced code block") || !strings.Contains(r.Attempts[1].Err, "C, not bpftrace") {
			t.Fatalf("%v %+v", err, r)
		}
		if fb := f.request(t, 1); !strings.Contains(fb, "no usable program") || !strings.Contains(fb, "```bpftrace") {
			t.Fatalf("feedback:\n%s", fb)
		}
	})
	t.Run("garbage body and no choices", func(t *testing.T) {
		f := newFake(t, step{raw: "<html>gateway</html>"}, step{noChoices: true}, step{content: "```bpftrace\nBEGIN { printf(\"hi\\n\")"}, step{content: good}, step{content: "counts"})
		r, err := Generate(context.Background(), req, Options{Pipeline: pipe(k), Provider: f.provider(t, fast), Attempts: 3})
		if err != nil || !r.Clean || len(r.Attempts) != 3 || !strings.Contains(r.Attempts[0].Err, "empty answer") || !strings.Contains(r.Attempts[1].Err, "not closed") {
			t.Fatalf("%v %+v", err, r)
		}
	})
	t.Run("only malformed", func(t *testing.T) {
		f := newFake(t, step{content: "no"}, step{content: "no"}, step{content: "no"})
		if r, err, _ := run(t, f.provider(t, nil)); err == nil || r != nil || !strings.Contains(err.Error(), "no usable program after 3 attempts") {
			t.Fatalf("%v %+v", err, r)
		}
	})
	t.Run("failure after a program", func(t *testing.T) {
		bad := block("bpftrace", "tracepoint:syscalls:sys_enter_openat { printf(\"%d\\n\"); }\n")
		f := newFake(t, step{content: bad}, step{status: 401})
		r, err, _ := run(t, f.provider(t, nil))
		if err == nil || r == nil || r.Program == "" || r.Clean || len(r.Attempts) != 2 {
			t.Fatalf("%v %+v", err, r)
		}
	})
}

// (d) The API key appears in no error, progress line or result, even
// when the endpoint echoes it.
func TestKeyNeverLeaks(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	good := block("bpftrace", "tracepoint:syscalls:sys_enter_openat { @x[comm] = count(); }\n")
	f := newFake(t, step{status: 400, errMsg: "bad request from key " + secret + " (" + secret[:8] + "..." + secret[len(secret)-8:] + ")"},
		step{status: 500, errMsg: "key " + secret}, step{content: good}, step{content: "counts opens, key " + secret})
	var log progressLog
	p := f.provider(t, func(c *Config) { c.MaxBackoff = 10 * time.Millisecond })
	_, err := Generate(context.Background(), Request{Text: "count opens"}, Options{Pipeline: pipe(k), Provider: p, Progress: log.add})
	if err == nil || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "abcdefgh") || !strings.Contains(err.Error(), "HTTP 400") {
		t.Fatalf("%v", err)
	}
	r, err := Generate(context.Background(), Request{Text: "count opens"}, Options{Pipeline: pipe(k), Provider: p, Progress: log.add})
	if err != nil {
		t.Fatal(err)
	}
	// The model's own text is the user's to see; kgent's parts must not
	// carry the key.
	r.Explanation = ""
	out, _ := json.Marshal(r)
	for _, s := range []string{string(out), log.String()} {
		if strings.Contains(s, secret) || strings.Contains(s, "abcdefgh") {
			t.Fatalf("the API key leaked: %s", s)
		}
	}
}

// Cancelling the context stops a run at once, as the editor's cancel does.
func TestCancel(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	f := newFake(t, step{content: "x", delay: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	t0 := time.Now()
	_, err := Generate(ctx, Request{Text: "count opens"}, Options{Pipeline: pipe(k), Provider: f.provider(t, nil)})
	if !errors.Is(err, context.Canceled) || time.Since(t0) > 2*time.Second {
		t.Fatalf("%v after %v", err, time.Since(t0))
	}
}

func TestNewOpenAI(t *testing.T) {
	if _, err := NewOpenAI(Config{BaseURL: "http://localhost:1/v1"}); err == nil || !strings.Contains(err.Error(), "KGENT_LLM_MODEL") {
		t.Fatalf("%v", err)
	}
	t.Setenv("KGENT_LLM_BASE_URL", "")
	t.Setenv("OPENAI_API_KEY", "")
	if _, ok := ConfigFromEnv(); ok {
		t.Fatal("configured without a URL or key")
	}
	t.Setenv("OPENAI_API_KEY", "k")
	if _, ok := ConfigFromEnv(); !ok {
		t.Fatal("a key configures the openai provider")
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{"": 0, "2": 2 * time.Second, "0.5": 500 * time.Millisecond, "x": 0,
		now.Add(3 * time.Second).Format(http.TimeFormat): 3 * time.Second} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("Retry-After %q: %v, want %v", in, got, want)
		}
	}
}

func TestExtractCode(t *testing.T) {
	bt, c := analysis.DialectBpftrace, analysis.DialectC
	for _, tc := range []struct {
		reply string
		lang  analysis.Dialect
		want  string // code, or "error: fragment"
	}{
		{"no code", bt, "error: no fenced"},
		{"```\nBEGIN { exit(); }\n```", bt, "BEGIN { exit(); }\n"},
		{"```bpftrace\nBEGIN{}\n```", c, "error: bpftrace, not C"},
		{"```c\nSEC(\"xdp\") int f() { return 2; }\n```", bt, "error: C, not bpftrace"},
		{"```sh\nsudo bpftrace x.bt\n```\n```bt\nBEGIN{}\n```", bt, "BEGIN{}\n"},
		{"```bash\n#!/bin/sh\n```\n```c\n#include \"vmlinux.h\"\nSEC(\"tp/x/y\") int f(void *c) { return 0; }\n```", c, "#include \"vmlinux.h\"\nSEC(\"tp/x/y\") int f(void *c) { return 0; }\n"},
		{"```bpftrace\n#include <linux/sched.h>\nkprobe:f { }\n```", bt, "#include <linux/sched.h>\nkprobe:f { }\n"},
		{"```bpftrace\nBEGIN {", bt, "error: not closed"},
		{"```\n\n```", bt, "error: empty"},
		{"```bpftrace title=x.bt\ntracepoint:a:b {}\n```", bt, "tracepoint:a:b {}\n"},
	} {
		got, err := extractCode(tc.reply, tc.lang)
		if err != nil {
			got = "error: " + err.Error()
		}
		if strings.HasPrefix(tc.want, "error: ") && strings.Contains(got, strings.TrimPrefix(tc.want, "error: ")) || got == tc.want {
			continue
		}
		t.Errorf("extract %q (%s): %q, want %q", tc.reply, tc.lang, got, tc.want)
	}
}

func TestRepair(t *testing.T) {
	code := "abc def ghi"
	fix := func(code string, s, e int, text string) analysis.Finding {
		return analysis.Finding{Code: code, Severity: analysis.Error, Span: analysis.Span{Start: s, End: e},
			Fixes: []analysis.Fix{{Title: "fix " + text, Edits: []analysis.Edit{{Span: analysis.Span{Start: s, End: e}, NewText: text}}}}}
	}
	got, notes := repair(code, []analysis.Finding{fix(analysis.KG304, 0, 3, "ABCD"), fix(analysis.KG401, 8, 11, "G"),
		fix(analysis.KG201, 4, 7, "helper"), fix(analysis.KG302, 1, 2, "overlaps")})
	if got != "ABCD def G" || len(notes) != 2 {
		t.Fatalf("%q %v", got, notes)
	}
	if got, _ := repair(code, []analysis.Finding{fix(analysis.KG304, 5, 99, "x")}); got != code {
		t.Fatalf("an edit past the end was applied: %q", got)
	}
}

func TestMismatches(t *testing.T) {
	for _, tc := range []struct{ request, explanation, program, want string }{
		{"trace tcp connects with pid", "Prints the pid of each TCP connect.", "", ""},
		{"trace tcp connects with pid", "Counts files opened.", "", "event connect, event tcp, field pid"},
		{"count opens by pid 1234", "Counts openat calls.", "tracepoint:syscalls:sys_enter_openat /pid == 1234/ {}", ""},
		{"count opens by pid 1234", "Counts openat calls of pid 1234.", "tracepoint:syscalls:sys_enter_openat {}", "filter pid 1234"},
		{"显示磁盘延迟的直方图", "A histogram of block I/O latency.", "", ""},
		{"显示磁盘延迟的直方图", "Counts signals.", "", "event 磁盘, field 延迟"},
	} {
		got := strings.Join(mismatches(tc.request, tc.explanation, tc.program), ", ")
		if got != tc.want {
			t.Errorf("%q / %q: %q, want %q", tc.request, tc.explanation, got, tc.want)
		}
	}
}

// The prompt stays within its budget and keeps the most useful parts.
func TestPromptBudget(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	for _, budget := range []int{300, 1000, 3000} {
		p := buildPrompt(context.Background(), "print files opened with the process name", analysis.DialectBpftrace, k, NewRetriever(k), budget, "0.17")
		if approxTokens(p.Text) > budget && budget > 300 {
			t.Errorf("budget %d: %d tokens", budget, approxTokens(p.Text))
		}
		if !strings.Contains(p.Text, "Request: print files opened") {
			t.Errorf("budget %d: no request", budget)
		}
		if budget == 3000 && (len(p.Used) < 3 || !strings.Contains(p.Text, "```bpftrace") || !strings.Contains(p.Text, "bpftrace is 0.17") || strings.Contains(p.Text, "tseries")) {
			t.Errorf("budget %d used only %v", budget, p.Used)
		}
	}
	p := buildPrompt(context.Background(), "send pid and comm of every exec to user space through a ring buffer", analysis.DialectC, k, NewRetriever(k), 3000, "")
	if !strings.Contains(p.Text, "```c") || !strings.Contains(p.Text, "helper ") {
		t.Errorf("C prompt has no example or helper prototypes:\n%s", p.Text)
	}
}

// BenchmarkAttemptOverhead measures what the agent adds to an attempt
// outside the model call: retrieval and prompt assembly, static checks,
// deterministic repair and the re-check (no compile, no verifier).
func BenchmarkAttemptOverhead(b *testing.B) {
	testenv.Require(b, testenv.BTF, testenv.Tracefs)
	k, err := kb.Load(kb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	k.Warm()
	r := NewRetriever(k)
	opts := Options{Pipeline: pipe(k)}
	for _, tc := range []struct {
		name, request, code string
		lang                analysis.Dialect
	}{
		{"bpftrace", "print files opened with the process name", "tracepoint:syscalls:sys_enter_opnat\n{\n  printf(\"%s %s\\n\", comm);\n}\n", analysis.DialectBpftrace},
		{"c", "print the pid of every exec", "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n\n" +
			"SEC(\"tracepoint/sched/sched_process_exc\")\nint trace_exec(struct trace_event_raw_sched_process_exec *ctx)\n{\n\tbpf_printk(\"exec %d\", ctx->pidd);\n\treturn 0;\n}\n", analysis.DialectC},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				_ = buildPrompt(context.Background(), tc.request, tc.lang, k, r, 3000, "0.17")
				fs, _, _ := checkProgram(context.Background(), tc.code, tc.lang, opts)
				repaired, _ := repair(tc.code, fs)
				checkProgram(context.Background(), repaired, tc.lang, opts)
			}
		})
	}
}

func TestProbeKinds(t *testing.T) {
	bt := "BEGIN { }\nt:syscalls:sys_enter_openat, tracepoint:syscalls:sys_exit_openat { }\nur:/bin/bash:readline { }\ni:s:1 { exit(); }\n"
	if got := strings.Join(ProbeKinds(bt, analysis.DialectBpftrace), ","); got != "BEGIN,interval,tracepoint,uretprobe" {
		t.Errorf("bpftrace: %s", got)
	}
	c := "char LICENSE[] SEC(\"license\") = \"GPL\";\nstruct { } m SEC(\".maps\");\nSEC(\"tp/sched/sched_switch\") int a() {}\nSEC(\"xdp\") int b() {}\nSEC(\"cgroup_skb/egress\") int c() {}\nSEC(\"uretprobe//bin/bash:readline\") int d() {}\n"
	if got := strings.Join(ProbeKinds(c, analysis.DialectC), ","); got != "cgroup_skb,tracepoint,uretprobe,xdp" {
		t.Errorf("C: %s", got)
	}
}

// A candidate whose only faults have safe fixes passes without another
// model round: the tracepoint first, then (once it exists) its field.
func TestRepairRounds(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	testenv.Require(t, testenv.Bpftrace, testenv.BPF)
	first := "tracepoint:sched:sched_process_exc\n{\n  printf(\"%d\\n\", args->pidd);\n}\n"
	f := newFake(t, step{content: block("bpftrace", first)}, step{content: "Prints the pid of every exec."})
	r, err := Generate(context.Background(), Request{Text: "print the pid of every exec", Lang: analysis.DialectBpftrace},
		Options{Pipeline: pipe(k), Provider: f.provider(t, nil), Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "tracepoint:sched:sched_process_exec\n{\n  printf(\"%d\\n\", args->pid);\n}\n"
	if !r.Verified || len(r.Attempts) != 1 || r.Program != want || len(r.Attempts[0].Repaired) != 2 {
		t.Fatalf("%q %v %+v", r.Program, r.Attempts[0].Repaired, r.Findings)
	}
}

func TestRepairFieldC(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	testenv.Require(t, testenv.Clang, testenv.BPF)
	prog := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n\n" +
		"SEC(\"tracepoint/sched/sched_process_exec\")\nint trace_exec(struct trace_event_raw_sched_process_exec *ctx)\n{\n\tbpf_printk(\"exec %d\", ctx->pidd);\n\treturn 0;\n}\n"
	f := newFake(t, step{content: block("c", prog)}, step{content: "Prints the pid of every exec to the trace pipe."})
	r, err := Generate(context.Background(), Request{Text: "print the pid of every exec", Lang: analysis.DialectC},
		Options{Pipeline: pipe(k), Provider: f.provider(t, nil), Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Verified || len(r.Attempts) != 1 || !strings.Contains(r.Program, "ctx->pid)") || !strings.HasPrefix(r.Attempts[0].Repaired[0], "KG401") {
		t.Fatalf("%s %v %+v", r.Program, r.Attempts[0].Repaired, r.Findings)
	}
}

func TestRequestLang(t *testing.T) {
	for req, want := range map[string]analysis.Dialect{
		"count packets by protocol in XDP": analysis.DialectC, "send opens through a ring buffer": analysis.DialectC,
		"count bytes with tc on egress": analysis.DialectC, "trace tcp connects": analysis.DialectBpftrace,
		"count opens per process": analysis.DialectBpftrace, "用环形缓冲区发送事件": analysis.DialectC,
	} {
		if got := requestLang(req); got != want {
			t.Errorf("%q: %s, want %s", req, got, want)
		}
	}
}

// FuzzExtractCode: any reply gives a program that is part of it, or an
// error; never a panic.
func FuzzExtractCode(f *testing.F) {
	for _, s := range []string{"", "```", "``````", "```c\n", "```bpftrace\nBEGIN{}\n```", "```\n\x00\xff```", "text ```bt x``` ```c\nSEC(\"\n```"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		for _, lang := range []analysis.Dialect{analysis.DialectBpftrace, analysis.DialectC} {
			code, err := extractCode(reply, lang)
			if err == nil && (code == "" || !strings.Contains(reply, code)) {
				t.Fatalf("%q gave %q", reply, code)
			}
		}
	})
}

// The agent's answer rests on the real verifier: a program that passes
// every static check but dereferences a map value without the null check
// is rejected by the kernel (KG602), is neither clean nor verified, and
// the model is told the verifier's reason. Without the verification step
// the same program would come back "verified".
func TestVerifierDecides(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	testenv.Require(t, testenv.Clang, testenv.BPF)
	// The bounds check lets idx reach 64, one past the map value.
	bad := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n\nstruct slot {\n\tchar buf[64];\n};\n\nstruct {\n\t__uint(type, BPF_MAP_TYPE_ARRAY);\n\t__uint(max_entries, 1);\n\t__type(key, u32);\n\t__type(value, struct slot);\n} slots SEC(\".maps\");\n\nSEC(\"tracepoint/syscalls/sys_enter_openat\")\nint mark(void *ctx)\n{\n\tu32 zero = 0;\n\tstruct slot *s = bpf_map_lookup_elem(&slots, &zero);\n\tif (!s)\n\t\treturn 0;\n\tu32 idx = bpf_get_prandom_u32();\n\tif (idx > 64) // one too many: the index must stay below 64\n\t\treturn 0;\n\ts->buf[idx] = 1;\n\treturn 0;\n}\n"
	// The static checks alone find nothing to object to.
	if fs, ok, err := checkProgram(context.Background(), bad, analysis.DialectC, Options{Pipeline: pipe(k)}); err != nil || analysis.HasErrors(fs) || ok {
		t.Fatalf("static checks: verified %v, findings %+v", ok, fs)
	}
	f := newFake(t, step{content: block("c", bad)}, step{content: block("c", bad)}, step{content: "Counts openat calls per process."})
	var log progressLog
	r, err := Generate(context.Background(), Request{Text: "count openat calls per process", Lang: analysis.DialectC},
		Options{Pipeline: pipe(k), Provider: f.provider(t, nil), Verify: true, Attempts: 2, Progress: log.add})
	if err != nil {
		t.Fatal(err)
	}
	if r.Clean || r.Verified || len(r.Attempts) != 2 {
		t.Fatalf("clean %v verified %v attempts %d findings %+v", r.Clean, r.Verified, len(r.Attempts), r.Findings)
	}
	var rejected *analysis.Finding
	for i, fd := range r.Findings {
		if fd.Code == analysis.KG602 {
			rejected = &r.Findings[i]
		}
	}
	if rejected == nil || !strings.HasPrefix(strings.TrimSpace(r.Program[rejected.Span.Start:]), "s->buf[idx] = 1") {
		t.Fatalf("want KG602 on the access (line 27): %+v", r.Findings)
	}
	if fb := f.request(t, 1); !strings.Contains(fb, "KG602") {
		t.Fatalf("the model was not told what the verifier said:\n%s", fb)
	}
	if strings.Contains(log.String(), "passes the static checks and verification") {
		t.Fatalf("progress claims verification passed:\n%s", log.String())
	}
}

// Verification that could not run (no compiler: KG604) leaves a clean
// program unverified, and the progress says so.
func TestUnverifiedWhenVerificationCannotRun(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	prog := "tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }\n"
	f := newFake(t, step{content: block("bpftrace", prog)}, step{content: "Counts openat calls per command."})
	var log progressLog
	pl := pipeline.New(pipeline.Config{Settings: pipeline.Settings{BpftracePath: "/nonexistent/bpftrace", ClangPath: "/nonexistent/clang"}}, k)
	r, err := Generate(context.Background(), Request{Text: "count openat calls per command", Lang: analysis.DialectBpftrace},
		Options{Pipeline: pl, Provider: f.provider(t, nil), Verify: true, Progress: log.add})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Clean || r.Verified || !strings.Contains(log.String(), "(not verified)") {
		t.Fatalf("clean %v verified %v findings %+v\n%s", r.Clean, r.Verified, r.Findings, log.String())
	}
}

// pipe is the pipeline of k with the environment's configuration, as a
// front would build it.
func pipe(k *kb.KB) *pipeline.Pipeline { return pipeline.New(pipeline.Config{}, k) }
