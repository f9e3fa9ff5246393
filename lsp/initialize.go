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
		"capabilities": map[string]any{
			"positionEncoding": "utf-16",
			"textDocumentSync": map[string]any{"openClose": true, "change": 2, "save": map[string]any{"includeText": false}},
			"hoverProvider":    true,
			"completionProvider": map[string]any{"triggerCharacters": []string{".", ">", ":", "/", "\"", "$", "@"},
				"resolveProvider": true},
			"codeActionProvider":     map[string]any{"codeActionKinds": []string{"quickfix", "refactor.rewrite"}},
			"documentSymbolProvider": true,
			"definitionProvider":     true,
			"referencesProvider":     true,
			"renameProvider":         map[string]any{"prepareProvider": true},
			"foldingRangeProvider":   true,
			"executeCommandProvider": map[string]any{"commands": []string{cmdGenerate, cmdVerify, cmdKBRebuild}},
			// Which files are trusted follows the folders the user adds
			// and removes (workspace/didChangeWorkspaceFolders).
			"workspace": map[string]any{"workspaceFolders": map[string]any{"supported": true, "changeNotifications": true}},
		},
		"serverInfo": map[string]any{"name": "kgent", "version": s.opts.Version},
	}, nil)
}

func init() {
	handlers["initialized"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		s.goSafe("workspace/configuration", s.pullConfiguration)
		return nil
	}
}
