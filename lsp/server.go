// Package lsp is the language server: JSON-RPC wiring, the document store,
// position conversion, debouncing and publishing. It is the only package
// that imports go.lsp.dev; analysis results (byte spans) are converted to
// protocol types (UTF-16 positions) here and nowhere else.
//
// # Request flow
//
// Messages pass through cancelHandler (a $/cancelRequest cancels the
// request's context), jsonrpc2.AsyncHandler (a message starts once the
// previous one has replied) and server.handle (lifecycle gate, panic
// recovery, dispatch from the handlers table, one file per method).
// Handlers only record and convert: text-sync handlers apply the edit and
// wake the document's analysis worker; verification and generation run in
// goroutines with $/progress.
package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/kb"
)

// Options configure a server.
type Options struct {
	// Flags are the command line's settings (--kb, --btf,
	// --bpftrace-version): they win over the environment and the editor.
	Flags pipeline.Settings
	// Getenv reads the environment (default os.Getenv), once, at start.
	Getenv func(string) string
	// Version is the server's version in serverInfo (default "devel").
	Version string
	// Debounce is the quiet time after an edit before analysis: 0 means
	// the default of 100 ms, a negative value none (benchmarks).
	Debounce time.Duration
	// Logger receives the server's log; never stdout. Default: discard.
	Logger *log.Logger
	// LoadKB replaces kb.Load (tests).
	LoadKB func(kb.Options) (*kb.KB, error)
	// KBWait bounds how long a hover or completion waits for the kb to
	// load before answering without it; default 3 s.
	KBWait time.Duration
	// beforeHandle runs before every handler (tests inject panics).
	beforeHandle func(method string)
}

// ErrExitWithoutShutdown is returned by Serve when the client sent exit
// without shutdown first (LSP asks for exit status 1 then).
var ErrExitWithoutShutdown = errors.New("exit without shutdown")

type server struct {
	opts Options
	conn jsonrpc2.Conn
	log  *log.Logger

	// mu guards the fields below it. Never hold it while calling the
	// client or running analysis.
	mu            sync.Mutex
	initialized   bool
	shutdown      bool
	exited        bool
	env           pipeline.Settings  // the environment's layer, read at start
	editor        pipeline.Settings  // the editor's layer
	envProbs      []pipeline.Problem // the environment's malformed values
	told          map[string]bool    // configuration problems already shown
	canPullConfig bool               // the client answers workspace/configuration
	canProgress   bool               // the client supports window/workDoneProgress
	docs          map[protocol.DocumentURI]*document
	kbErr         error
	kbReady       chan struct{} // closed once the first kb load finished
	kbLoadedFrom  kb.Options    // what the current kb was loaded with
	verifyState   string
	workspace     []string // the client's workspace folders (verify.go)
	// cancels stops running generations by progress token.
	cancels map[string]context.CancelFunc

	// pipe checks every document: the configuration, the kb and the
	// verifier, shared with kgent check and MCP. Safe for concurrent use;
	// never read under mu's lock order inversions (it has its own lock).
	pipe *pipeline.Pipeline

	// exit is closed when the client sends exit.
	exit chan struct{}

	// connCtx is cancelled when the connection ends; background work
	// (analysis, verification, generation) runs under it.
	connCtx context.Context
}

// Serve runs the server on rwc until the client sends exit, the stream
// closes or ctx is cancelled.
func Serve(ctx context.Context, rwc io.ReadWriteCloser, opts Options) error {
	switch {
	case opts.Debounce == 0:
		opts.Debounce = 100 * time.Millisecond
	case opts.Debounce < 0:
		opts.Debounce = 0
	}
	if opts.Logger == nil {
		opts.Logger = log.New(io.Discard, "", 0)
	}
	if opts.LoadKB == nil {
		opts.LoadKB = kb.Load
	}
	if opts.KBWait == 0 {
		opts.KBWait = 3 * time.Second
	}
	if opts.Version == "" {
		opts.Version = "devel"
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	connCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &server{opts: opts, log: opts.Logger, docs: map[protocol.DocumentURI]*document{},
		kbReady: make(chan struct{}), connCtx: connCtx, verifyState: "idle", exit: make(chan struct{}), told: map[string]bool{}}
	s.env, s.envProbs = pipeline.EnvSettings(opts.Getenv)
	s.pipe = pipeline.New(s.resolveLocked(), nil)
	s.goSafe("warm-up", warmUp)
	s.conn = jsonrpc2.NewConn(newTolerantStream(rwc, opts.Logger))
	s.conn.Go(connCtx, cancelHandler(jsonrpc2.AsyncHandler(s.handle)))
	select {
	case <-s.conn.Done():
	case <-s.exit:
		// Do not wait for the reader: on a terminal or a pipe that stays
		// open, closing stdin does not interrupt a blocked read.
		s.conn.Close()
	case <-ctx.Done():
		s.conn.Close()
	}
	cancel()
	// The documents are closed outside s.mu: closing one waits for its
	// analysis (anMu), which may itself be waiting for s.mu.
	s.mu.Lock()
	docs := s.docs
	s.docs = map[protocol.DocumentURI]*document{}
	exited, shut := s.exited, s.shutdown
	s.mu.Unlock()
	for _, d := range docs {
		d.close()
	}
	s.pipe.Close() // the microVMs of the targets' verifiers
	if exited && !shut {
		return ErrExitWithoutShutdown
	}
	return nil
}

// handle is the server's one entry point: lifecycle gate, cancellation,
// panic recovery and dispatch.
//
// It returns nil whatever happens (failures are logged): jsonrpc2 v0.10
// fails the connection on a handler error, and panics when a connection
// fails twice with errors of different types.
func (s *server) handle(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	if err := s.dispatch(ctx, reply, req); err != nil && s.connCtx.Err() == nil {
		s.log.Printf("%s: %v", req.Method(), err)
	}
	return nil
}

// dispatch is handle's body.
func (s *server) dispatch(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) (err error) {
	var once sync.Once
	inner := reply
	replied := false
	reply = func(ctx context.Context, result any, err error) error {
		var rerr error
		once.Do(func() {
			replied = true
			rerr = inner(ctx, result, err)
		})
		return rerr
	}
	defer func() {
		if !replied {
			_ = reply(ctx, nil, nil)
		}
	}()
	method := req.Method()
	defer func() {
		if r := recover(); r != nil {
			s.log.Printf("internal error (a bug) in %s: %v\n%s", method, r, debug.Stack())
			err = reply(ctx, nil, &jsonrpc2.Error{Code: jsonrpc2.InternalError, Message: fmt.Sprintf("kgent: internal error in %s (a bug, logged): %v", method, r)})
		}
	}()
	_, isCall := req.(*jsonrpc2.Call)
	if isCall && ctx.Err() != nil {
		return reply(ctx, nil, errCancelled)
	}
	if s.opts.beforeHandle != nil {
		s.opts.beforeHandle(method)
	}
	s.mu.Lock()
	initialized, shut := s.initialized, s.shutdown
	s.mu.Unlock()
	switch {
	case method == "initialize":
		return s.initialize(ctx, reply, req)
	case method == "exit":
		s.mu.Lock()
		if !s.exited {
			s.exited = true
			close(s.exit)
		}
		s.mu.Unlock()
		return nil
	case !initialized:
		if !isCall {
			return nil // notifications before initialize are dropped
		}
		return reply(ctx, nil, &jsonrpc2.Error{Code: codeServerNotInitialized, Message: "server not initialized: send initialize first"})
	case shut:
		if !isCall {
			return nil
		}
		return reply(ctx, nil, &jsonrpc2.Error{Code: jsonrpc2.InvalidRequest, Message: "server is shutting down: only exit is accepted"})
	}
	if r, ok := routes[method]; ok {
		return r.handle(s, ctx, reply, req)
	}
	if !isCall {
		return nil // unknown notifications ($/setTrace, ...) are ignored
	}
	if strings.HasPrefix(method, "$/") {
		return reply(ctx, nil, nil)
	}
	return reply(ctx, nil, &jsonrpc2.Error{Code: jsonrpc2.MethodNotFound, Message: "method not supported: not implemented by kgent: " + method})
}

// JSON-RPC codes of LSP that jsonrpc2 does not define.
const (
	codeServerNotInitialized jsonrpc2.Code = -32002
	codeRequestCancelled     jsonrpc2.Code = -32800
	codeContentModified      jsonrpc2.Code = -32801
)

var errCancelled = &jsonrpc2.Error{Code: codeRequestCancelled, Message: "request cancelled"}

// decode unmarshals a request's params; the error is an InvalidParams
// JSON-RPC error naming the method.
func decode(req jsonrpc2.Request, v any) error {
	params := req.Params()
	if len(params) == 0 {
		params = []byte("{}")
	}
	if err := json.Unmarshal(params, v); err != nil {
		return &jsonrpc2.Error{Code: jsonrpc2.InvalidParams, Message: "invalid params for " + req.Method() + ": " + err.Error()}
	}
	return nil
}

// notify sends a notification to the client, logging failures.
func (s *server) notify(method string, params any) {
	ctx, cancel := context.WithTimeout(s.connCtx, 5*time.Second)
	defer cancel()
	if err := s.conn.Notify(ctx, method, params); err != nil && s.connCtx.Err() == nil {
		s.log.Printf("notify %s: %v", method, err)
	}
}

// goSafe runs f in a goroutine; a panic is logged as a bug instead of
// ending the server.
func (s *server) goSafe(what string, f func()) {
	go func() {
		defer func() {
			if r := recover(); r != nil {
				s.log.Printf("internal error (a bug) in %s: %v\n%s", what, r, debug.Stack())
			}
		}()
		f()
	}()
}

// doc returns the open document for uri, or nil.
func (s *server) doc(uri protocol.DocumentURI) *document {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.docs[uri]
}

// openDocs lists the open documents.
func (s *server) openDocs() []*document {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*document, 0, len(s.docs))
	for _, d := range s.docs {
		out = append(out, d)
	}
	return out
}
