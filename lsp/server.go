// Package lsp is the language server: JSON-RPC wiring, the document store,
// position conversion and publishing. It is the only package that speaks
// protocol; analysis results are converted here.
package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/kb"
)

// Options configure a server.
type Options struct {
	KB       kb.Options
	Debounce time.Duration // default 100 ms
	Logger   *log.Logger
	// LoadKB replaces kb.Load (tests).
	LoadKB func(kb.Options) (*kb.KB, error)
}

// Settings are the `kgent` settings a client sends.
type Settings struct {
	KBDir        string   `json:"kbDir"`
	TargetBTF    string   `json:"targetBTF"`
	VerifyOnSave *bool    `json:"verifyOnSave"`
	ClangPath    string   `json:"clangPath"`
	BpftracePath string   `json:"bpftracePath"`
	IncludePaths []string `json:"includePaths"`
	LLM          struct {
		Provider string `json:"provider"`
		BaseURL  string `json:"baseURL"`
		Model    string `json:"model"`
	} `json:"llm"`
}

type server struct {
	opts Options
	conn jsonrpc2.Conn
	log  *log.Logger

	mu          sync.Mutex
	initialized bool
	shutdown    bool
	settings    Settings
	// canPullConfig: the client answers workspace/configuration.
	canPullConfig bool
	docs          map[protocol.DocumentURI]*document

	kbReady chan struct{}
	kb      *kb.KB
	kbErr   error

	verifier *verify.Verifier
	// cancels stops running generations by progress token.
	cancels map[string]context.CancelFunc
}

// Serve runs the server on rwc until the client exits or the stream
// closes.
func Serve(ctx context.Context, rwc io.ReadWriteCloser, opts Options) error {
	if opts.Debounce == 0 {
		opts.Debounce = 100 * time.Millisecond
	}
	if opts.Debounce < 0 {
		opts.Debounce = 0
	}
	if opts.Logger == nil {
		opts.Logger = log.New(io.Discard, "", 0)
	}
	if opts.LoadKB == nil {
		opts.LoadKB = kb.Load
	}
	s := &server{opts: opts, log: opts.Logger, docs: map[protocol.DocumentURI]*document{}, kbReady: make(chan struct{})}
	s.conn = jsonrpc2.NewConn(newTolerantStream(rwc, opts.Logger))
	s.conn.Go(ctx, protocol.CancelHandler(jsonrpc2.AsyncHandler(s.handle)))
	select {
	case <-s.conn.Done():
	case <-ctx.Done():
		s.conn.Close()
	}
	return nil
}

// handle dispatches one message. Panics are recovered and answered as
// errors; the server keeps serving.
func (s *server) handle(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) (err error) {
	// AsyncHandler starts the next message only once this one replied, so
	// every message, notifications included, replies exactly once.
	replied := false
	inner := reply
	reply = func(ctx context.Context, result any, err error) error {
		if replied {
			return nil
		}
		replied = true
		return inner(ctx, result, err)
	}
	defer func() {
		if !replied {
			_ = reply(ctx, nil, nil)
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			s.log.Printf("panic in %s: %v\n%s", req.Method(), r, debug.Stack())
			err = reply(ctx, nil, fmt.Errorf("kgent: internal error in %s: %v", req.Method(), r))
		}
	}()
	method := req.Method()
	s.mu.Lock()
	initialized, shut := s.initialized, s.shutdown
	s.mu.Unlock()
	_, isCall := req.(*jsonrpc2.Call)
	switch {
	case method == "initialize":
		return s.initialize(ctx, reply, req)
	case method == "exit":
		s.conn.Close()
		return nil
	case !initialized:
		if !isCall {
			return nil
		}
		return reply(ctx, nil, &jsonrpc2.Error{Code: -32002, Message: "server not initialized"})
	case shut && method != "exit":
		if !isCall {
			return nil
		}
		return reply(ctx, nil, &jsonrpc2.Error{Code: jsonrpc2.InvalidRequest, Message: "server is shutting down"})
	}
	h, ok := handlers[method]
	if !ok {
		if !isCall || strings.HasPrefix(method, "$/") {
			if isCall {
				return reply(ctx, nil, nil)
			}
			return nil
		}
		return reply(ctx, nil, &jsonrpc2.Error{Code: jsonrpc2.MethodNotFound, Message: "method not supported: " + method})
	}
	return h(s, ctx, reply, req)
}

type handlerFunc func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error

var handlers = map[string]handlerFunc{}

func decode(req jsonrpc2.Request, v any) error {
	if err := json.Unmarshal(req.Params(), v); err != nil {
		return &jsonrpc2.Error{Code: jsonrpc2.InvalidParams, Message: "invalid params for " + req.Method() + ": " + err.Error()}
	}
	return nil
}

func (s *server) waitKB(ctx context.Context) *kb.KB {
	select {
	case <-s.kbReady:
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.kb
	case <-ctx.Done():
		return nil
	}
}

func (s *server) notify(method string, params any) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.conn.Notify(ctx, method, params); err != nil {
		s.log.Printf("notify %s: %v", method, err)
	}
}

func (s *server) doc(uri protocol.DocumentURI) *document {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.docs[uri]
}

// publish converts findings to diagnostics and sends them.
func (s *server) publish(d *document, version int32, fs []analysis.Finding, text string) {
	idx := analysis.NewLineIndex(text)
	diags := make([]protocol.Diagnostic, 0, len(fs))
	for _, f := range fs {
		diags = append(diags, toDiagnostic(d.uri, idx, f))
	}
	s.notify("textDocument/publishDiagnostics", protocol.PublishDiagnosticsParams{URI: d.uri, Version: uint32(version), Diagnostics: diags})
}

func toRange(idx *analysis.LineIndex, sp analysis.Span) protocol.Range {
	a, b := idx.Position(sp.Start), idx.Position(sp.End)
	return protocol.Range{Start: protocol.Position{Line: uint32(a.Line), Character: uint32(a.Character)},
		End: protocol.Position{Line: uint32(b.Line), Character: uint32(b.Character)}}
}

func toDiagnostic(uri protocol.DocumentURI, idx *analysis.LineIndex, f analysis.Finding) protocol.Diagnostic {
	d := protocol.Diagnostic{Range: toRange(idx, f.Span), Code: f.Code, Source: f.Source, Message: f.Message}
	switch f.Severity {
	case analysis.Error:
		d.Severity = protocol.DiagnosticSeverityError
	case analysis.Warning:
		d.Severity = protocol.DiagnosticSeverityWarning
	case analysis.Information:
		d.Severity = protocol.DiagnosticSeverityInformation
	default:
		d.Severity = protocol.DiagnosticSeverityHint
	}
	if f.Code != "" {
		d.CodeDescription = &protocol.CodeDescription{Href: protocol.URI(analysis.DocURL(f.Code))}
	}
	for _, r := range f.Related {
		d.RelatedInformation = append(d.RelatedInformation, protocol.DiagnosticRelatedInformation{
			Location: protocol.Location{URI: uri, Range: toRange(idx, r.Span)}, Message: r.Message})
	}
	for _, n := range f.Notes {
		if len(n) > 300 {
			n = n[:300] + "…"
		}
		d.Message += "\n" + n
	}
	return d
}
