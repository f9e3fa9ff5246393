package lsp

import (
	"context"
	"encoding/json"

	"go.lsp.dev/jsonrpc2"
)

type initializeParams struct {
	InitializationOptions json.RawMessage `json:"initializationOptions"`
	RootURI               string          `json:"rootUri"`
	RootPath              string          `json:"rootPath"`
	WorkspaceFolders      []struct {
		URI string `json:"uri"`
	} `json:"workspaceFolders"`
	Capabilities struct {
		Workspace struct {
			Configuration bool `json:"configuration"`
		} `json:"workspace"`
		Window struct {
			WorkDoneProgress bool `json:"workDoneProgress"`
		} `json:"window"`
	} `json:"capabilities"`
}

// initialize records the client's settings and capabilities, starts
// loading the kb in the background and answers with what the server
// implements (and nothing it does not: unimplemented.go).
func (s *server) initialize(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	var p initializeParams
	if err := decode(req, &p); err != nil {
		return reply(ctx, nil, err)
	}
	s.mu.Lock()
	if s.initialized {
		s.mu.Unlock()
		return reply(ctx, nil, &jsonrpc2.Error{Code: jsonrpc2.InvalidRequest, Message: "initialize was already called"})
	}
	s.mu.Unlock()
	s.applySettings(p.InitializationOptions)
	s.mu.Lock()
	s.initialized = true
	s.canPullConfig = p.Capabilities.Workspace.Configuration
	s.canProgress = p.Capabilities.Window.WorkDoneProgress
	s.workspace = workspaceDirs(p)
	probs := append(s.envProbs, s.resolveLocked().Problems...)
	s.mu.Unlock()
	s.report(probs)
	s.goSafe("kb load", func() { s.loadKB(false) })
	return reply(ctx, map[string]any{
		"capabilities": capabilities(),
		"serverInfo":   map[string]any{"name": "kgent", "version": s.opts.Version},
	}, nil)
}

// onInitialized pulls the settings from a client that answers
// workspace/configuration.
func (s *server) onInitialized(ctx context.Context, _ struct{}) {
	s.goSafe("workspace/configuration", s.pullConfiguration)
}
