package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/internal/endpoint"
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
// to the network. Complete returns an error wrapping one of the Err*
// categories below when the endpoint fails, or the context's error when
// ctx ends first.
type Provider interface {
	Name() string
	Complete(ctx context.Context, msgs []Message) (Reply, error)
}

// Categories of endpoint errors; test with errors.Is.
var (
	ErrUnauthorized = errors.New("the endpoint refused the API key")
	ErrUnknownModel = errors.New("the endpoint does not know the model or the URL is wrong")
	ErrRateLimited  = errors.New("the endpoint is rate limiting")
	ErrServer       = errors.New("the endpoint failed")
	ErrTimeout      = errors.New("the endpoint did not answer in time")
	ErrBadReply     = errors.New("the endpoint's reply is not a usable chat completion")
	ErrRequest      = errors.New("the request to the endpoint failed")
)

// EndpointError is an endpoint failure with a message fit for users: it
// never contains the API key.
type EndpointError struct {
	Kind   error // one of the Err* categories
	Status int   // HTTP status, 0 when there was no response
	msg    string
}

func (e *EndpointError) Error() string { return e.msg }
func (e *EndpointError) Unwrap() error { return e.Kind }

// Config of an OpenAI-compatible endpoint.
type Config struct {
	BaseURL string
	Model   string
	APIKey  string
	// KeyURL is the endpoint APIKey was configured for ("" is any):
	// ConfigFromEnv binds the environment's key to the environment's
	// endpoint (KGENT_LLM_BASE_URL, else OpenAI's). When BaseURL names
	// another endpoint (an editor setting or a flag chose it), the key is
	// not sent and the provider's KeyWithheld says so.
	KeyURL string
	// Timeout bounds one request; default 120 s.
	Timeout time.Duration
	// Retries on 429, 5xx, timeouts and undecodable replies; default 3.
	Retries int
	// MaxBackoff caps waiting between retries, Retry-After included;
	// default 30 s.
	MaxBackoff time.Duration
}

// ConfigFromEnv reads KGENT_LLM_BASE_URL, KGENT_LLM_MODEL and
// OPENAI_API_KEY; ok is false when no endpoint is configured. The key is
// bound to the environment's endpoint (KeyURL).
func ConfigFromEnv() (Config, bool) {
	c := Config{BaseURL: os.Getenv("KGENT_LLM_BASE_URL"), Model: os.Getenv("KGENT_LLM_MODEL"), APIKey: os.Getenv("OPENAI_API_KEY")}
	c.KeyURL = c.BaseURL
	if c.KeyURL == "" {
		c.KeyURL = endpoint.OpenAI
	}
	return c, c.BaseURL != "" || c.APIKey != ""
}

// ProviderFor is the provider of a resolved configuration's llm
// settings: nil (the offline provider) when llm.provider is "offline" or
// when nothing configures an endpoint or a key; an OpenAI-compatible
// endpoint otherwise. The key is the environment's (OPENAI_API_KEY, read
// through getenv; keys are never settings), bound to the environment's
// endpoint (KGENT_LLM_BASE_URL, else OpenAI's): an llm.baseURL naming
// another endpoint gets no key (OpenAI.KeyWithheld says so).
func ProviderFor(l pipeline.LLM, getenv func(string) string) (Provider, error) {
	c := Config{BaseURL: l.BaseURL, Model: l.Model, APIKey: getenv("OPENAI_API_KEY"), KeyURL: getenv("KGENT_LLM_BASE_URL")}
	if c.KeyURL == "" {
		c.KeyURL = endpoint.OpenAI
	}
	switch {
	case l.Provider == "offline":
		return nil, nil
	case l.Provider == "openai" || c.BaseURL != "" || c.APIKey != "":
		p, err := NewOpenAI(c)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	return nil, nil
}

// OpenAI is a provider for any OpenAI-compatible endpoint (OpenAI, Azure
// through a compatible proxy, Ollama, vLLM, llama.cpp) through go-openai.
// It is safe for concurrent use.
type OpenAI struct {
	cfg      Config
	client   *openai.Client
	withheld string
}

// retryAfterKey carries a per-call holder for the Retry-After of the last
// response, so concurrent calls never see each other's pauses.
type retryAfterKey struct{}

// retryAfterTransport records the Retry-After of each response into the
// holder of the request's context.
// Without a key it sends no Authorization header at all.
type retryAfterTransport struct {
	base  http.RoundTripper
	noKey bool
}

func (t retryAfterTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.noKey && r.Header.Get("Authorization") != "" {
		r = r.Clone(r.Context())
		r.Header.Del("Authorization")
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	if holder, ok := r.Context().Value(retryAfterKey{}).(*time.Duration); ok {
		*holder = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return resp, nil
}

// parseRetryAfter reads seconds or an HTTP date; 0 when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// NewOpenAI makes the provider; a custom base URL needs a model.
func NewOpenAI(cfg Config) (*OpenAI, error) {
	if cfg.BaseURL != "" && cfg.Model == "" {
		return nil, errors.New("KGENT_LLM_MODEL (or llm.model) is required with a custom endpoint")
	}
	if cfg.Model == "" {
		cfg.Model = openai.GPT4oMini
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 120 * time.Second
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 3
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	withheld := ""
	if cfg.APIKey != "" && cfg.KeyURL != "" && !endpoint.Same(cfg.KeyURL, cfg.BaseURL) {
		// The key was given for another endpoint: a base URL from an
		// editor's settings or a flag must not receive it.
		withheld = redact(fmt.Sprintf("the API key from the environment (OPENAI_API_KEY) is for %s, so it is not sent to %s, which the editor's settings or a flag chose; "+
			"to use the key there, set KGENT_LLM_BASE_URL=%s in kgent's own environment", displayURL(cfg.KeyURL), displayURL(cfg.BaseURL), displayURL(cfg.BaseURL)), cfg.APIKey)
		cfg.APIKey = ""
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	oc.HTTPClient = &http.Client{Transport: retryAfterTransport{base: http.DefaultTransport, noKey: cfg.APIKey == ""}, Timeout: cfg.Timeout}
	return &OpenAI{cfg: cfg, client: openai.NewClientWithConfig(oc), withheld: withheld}, nil
}

// KeyWithheld says why the environment's API key is not sent to this
// provider's endpoint ("" when it is, or there is none). It never
// contains the key.
func (p *OpenAI) KeyWithheld() string { return p.withheld }

func displayURL(u string) string {
	if u == "" {
		return endpoint.OpenAI
	}
	return u
}

// Name is "openai".
func (p *OpenAI) Name() string { return "openai" }

// Model is the model the provider asks.
func (p *OpenAI) Model() string { return p.cfg.Model }

// Complete sends the conversation, retrying 429 (honouring Retry-After),
// 5xx, timeouts and undecodable replies with exponential backoff. Errors
// are *EndpointError (or the context's error) and never contain the key.
func (p *OpenAI) Complete(ctx context.Context, msgs []Message) (Reply, error) {
	req := openai.ChatCompletionRequest{Model: p.cfg.Model, Temperature: 0.2}
	for _, m := range msgs {
		req.Messages = append(req.Messages, openai.ChatCompletionMessage{Role: m.Role, Content: m.Content})
	}
	backoff := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		var retryAfter time.Duration
		resp, err := p.client.CreateChatCompletion(context.WithValue(ctx, retryAfterKey{}, &retryAfter), req)
		if err == nil {
			if len(resp.Choices) == 0 || strings.TrimSpace(resp.Choices[0].Message.Content) == "" {
				return Reply{PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens},
					&EndpointError{Kind: ErrBadReply, msg: "the model returned an empty answer"}
			}
			// The key never travels further, even when an endpoint echoes it.
			return Reply{Content: redact(resp.Choices[0].Message.Content, p.cfg.APIKey), PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens}, nil
		}
		if ctx.Err() != nil {
			return Reply{}, fmt.Errorf("generation stopped: %w", ctx.Err())
		}
		e := p.classify(err)
		retryable := e.Kind == ErrRateLimited || e.Kind == ErrServer || e.Kind == ErrTimeout || e.Kind == ErrBadReply
		if !retryable || attempt >= p.cfg.Retries {
			if retryable && attempt > 0 {
				e.msg += fmt.Sprintf(" (after %d retries)", attempt)
			}
			return Reply{}, e
		}
		wait := backoff
		if e.Kind == ErrRateLimited && retryAfter > 0 {
			wait = retryAfter
		}
		wait = min(wait, p.cfg.MaxBackoff)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return Reply{}, fmt.Errorf("generation stopped: %w", ctx.Err())
		}
		backoff *= 2
	}
}

// classify turns a go-openai error into an EndpointError whose message
// says what to do, without the key.
func (p *OpenAI) classify(err error) *EndpointError {
	status := 0
	detail := ""
	var ae *openai.APIError
	var re *openai.RequestError
	switch {
	case errors.As(err, &ae):
		status, detail = ae.HTTPStatusCode, ae.Message
	case errors.As(err, &re):
		status = re.HTTPStatusCode
		detail = strings.TrimSpace(string(re.Body))
	}
	if len(detail) > 200 {
		detail = detail[:200] + "..."
	}
	e := &EndpointError{Status: status}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Kind = ErrUnauthorized
		e.msg = fmt.Sprintf("the endpoint refused the API key (HTTP %d): set OPENAI_API_KEY (or the editor's kgent: Set API key)", status)
	case status == http.StatusNotFound:
		e.Kind = ErrUnknownModel
		e.msg = fmt.Sprintf("the endpoint does not know model %q or the URL is wrong (HTTP 404): check KGENT_LLM_MODEL and KGENT_LLM_BASE_URL", p.cfg.Model)
	case status == http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
		e.msg = "the endpoint is rate limiting (HTTP 429)"
	case status >= 500:
		e.Kind = ErrServer
		e.msg = fmt.Sprintf("the endpoint failed (HTTP %d)", status)
	case isTimeout(err):
		e.Kind = ErrTimeout
		e.msg = fmt.Sprintf("the endpoint did not answer in time (limit %v)", p.cfg.Timeout)
	case status == 0 && isDecodeError(err):
		e.Kind = ErrBadReply
		e.msg = "the endpoint's reply is not an OpenAI-compatible chat completion"
	case status != 0:
		e.Kind = ErrRequest
		e.msg = fmt.Sprintf("the endpoint rejected the request (HTTP %d)", status)
	default:
		e.Kind = ErrRequest
		e.msg = "the request to the endpoint failed: " + err.Error()
	}
	if detail != "" && e.Kind != ErrUnauthorized {
		e.msg += ": " + detail
	}
	e.msg = redact(e.msg, p.cfg.APIKey)
	return e
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}

func isDecodeError(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return errors.As(err, &se) || errors.As(err, &te) || strings.Contains(err.Error(), "invalid character") || strings.Contains(err.Error(), "unexpected EOF")
}

// redact removes a secret, and any long piece of it, from text: servers
// sometimes echo a key partly masked (sk-abc...xyz).
func redact(text, secret string) string {
	if secret == "" {
		return text
	}
	text = strings.ReplaceAll(text, secret, "[redacted]")
	const piece = 8
	if len(secret) >= 2*piece {
		text = strings.ReplaceAll(text, secret[:piece], "[redacted]")
		text = strings.ReplaceAll(text, secret[len(secret)-piece:], "[redacted]")
	}
	return text
}
