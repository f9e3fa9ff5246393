package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Message is one chat message.
type Message struct {
	Role    string // system, user, assistant
	Content string
}

// Reply is a model's answer.
type Reply struct {
	Content          string
	PromptTokens     int
	CompletionTokens int
}

// Provider is how the agent reaches a model. It is the agent's only way
// to the network.
type Provider interface {
	Name() string
	Complete(ctx context.Context, msgs []Message) (Reply, error)
}

// Config of an OpenAI-compatible endpoint.
type Config struct {
	BaseURL string
	Model   string
	APIKey  string
	// Timeout bounds one request; default 120 s.
	Timeout time.Duration
	// Retries on 429 and 5xx; default 3.
	Retries int
	// MaxBackoff caps waiting between retries; default 30 s.
	MaxBackoff time.Duration
}

// ConfigFromEnv reads KGENT_LLM_BASE_URL, KGENT_LLM_MODEL and
// OPENAI_API_KEY; ok is false when no endpoint is configured.
func ConfigFromEnv() (Config, bool) {
	c := Config{BaseURL: os.Getenv("KGENT_LLM_BASE_URL"), Model: os.Getenv("KGENT_LLM_MODEL"), APIKey: os.Getenv("OPENAI_API_KEY")}
	return c, c.BaseURL != "" || c.APIKey != ""
}

// OpenAI is a provider for any OpenAI-compatible endpoint (OpenAI, Azure
// through a compatible proxy, Ollama, vLLM, llama.cpp).
type OpenAI struct {
	cfg    Config
	client *openai.Client
	rt     *retryAfterTransport
}

// retryAfterTransport remembers the Retry-After of the last response, so
// 429s are retried when the server asks.
type retryAfterTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	last time.Duration
}

func (t *retryAfterTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		d := time.Duration(0)
		if v := resp.Header.Get("Retry-After"); v != "" {
			if s, err := strconv.Atoi(v); err == nil {
				d = time.Duration(s) * time.Second
			} else if at, err := http.ParseTime(v); err == nil {
				d = time.Until(at)
			}
		}
		t.mu.Lock()
		t.last = d
		t.mu.Unlock()
	}
	return resp, err
}

func (t *retryAfterTransport) retryAfter() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// NewOpenAI makes the provider; a custom base URL needs a model.
func NewOpenAI(cfg Config) (*OpenAI, error) {
	if cfg.BaseURL != "" && cfg.Model == "" {
		return nil, errors.New("KGENT_LLM_MODEL (or llm.model) is required with a custom endpoint")
	}
	if cfg.Model == "" {
		cfg.Model = openai.GPT4oMini
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 120 * time.Second
	}
	if cfg.Retries == 0 {
		cfg.Retries = 3
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	rt := &retryAfterTransport{base: http.DefaultTransport}
	oc.HTTPClient = &http.Client{Transport: rt, Timeout: cfg.Timeout}
	return &OpenAI{cfg: cfg, client: openai.NewClientWithConfig(oc), rt: rt}, nil
}

func (p *OpenAI) Name() string { return "openai" }

// Complete sends the conversation, retrying 429 (honouring Retry-After)
// and 5xx with backoff. Errors never contain the API key.
func (p *OpenAI) Complete(ctx context.Context, msgs []Message) (Reply, error) {
	req := openai.ChatCompletionRequest{Model: p.cfg.Model, Temperature: 0.2}
	for _, m := range msgs {
		req.Messages = append(req.Messages, openai.ChatCompletionMessage{Role: m.Role, Content: m.Content})
	}
	backoff := time.Second
	for attempt := 0; ; attempt++ {
		resp, err := p.client.CreateChatCompletion(ctx, req)
		if err == nil {
			if len(resp.Choices) == 0 {
				return Reply{}, errors.New("the model returned no choices")
			}
			return Reply{Content: resp.Choices[0].Message.Content, PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens}, nil
		}
		status := statusOf(err)
		retryable := status == http.StatusTooManyRequests || status >= 500 || isTimeout(err)
		if !retryable || attempt >= p.cfg.Retries || ctx.Err() != nil {
			return Reply{}, p.explain(err, status)
		}
		wait := backoff
		if ra := p.rt.retryAfter(); status == http.StatusTooManyRequests && ra > 0 {
			wait = ra
		}
		wait = min(wait, p.cfg.MaxBackoff)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return Reply{}, p.explain(ctx.Err(), 0)
		}
		backoff *= 2
	}
}

func statusOf(err error) int {
	var ae *openai.APIError
	if errors.As(err, &ae) {
		return ae.HTTPStatusCode
	}
	var re *openai.RequestError
	if errors.As(err, &re) {
		return re.HTTPStatusCode
	}
	return 0
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}

// explain turns an endpoint error into a clear message without secrets.
func (p *OpenAI) explain(err error, status int) error {
	var msg string
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		msg = "the endpoint refused the API key (HTTP " + strconv.Itoa(status) + "): set OPENAI_API_KEY (or the editor's kgent: Set API key)"
	case status == http.StatusNotFound:
		msg = fmt.Sprintf("the endpoint does not know model %q or the URL is wrong (HTTP 404): check KGENT_LLM_MODEL and KGENT_LLM_BASE_URL", p.cfg.Model)
	case status == http.StatusTooManyRequests:
		msg = "the endpoint is rate limiting (HTTP 429) and did not recover after retries"
	case status >= 500:
		msg = fmt.Sprintf("the endpoint failed (HTTP %d) after retries", status)
	case isTimeout(err):
		msg = "the endpoint did not answer in time"
	default:
		msg = "the request to the endpoint failed: " + err.Error()
	}
	return errors.New(redact(msg, p.cfg.APIKey))
}

// redact removes a secret from text.
func redact(text, secret string) string {
	if secret == "" {
		return text
	}
	return strings.ReplaceAll(text, secret, "[redacted]")
}
