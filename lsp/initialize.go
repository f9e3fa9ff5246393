package lsp

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/verify"
)

func init() {
	handlers["initialized"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		go s.pullConfiguration()
		return nil
	}
	handlers["shutdown"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		s.mu.Lock()
		s.shutdown = true
		for _, d := range s.docs {
			d.close()
		}
		s.mu.Unlock()
		return reply(ctx, nil, nil)
	}
	handlers["workspace/didChangeConfiguration"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p struct {
			Settings json.RawMessage `json:"settings"`
		}
		if err := decode(req, &p); err != nil {
			return nil
		}
		if len(p.Settings) == 0 || string(p.Settings) == "null" {
			go s.pullConfiguration() // the client wants to be asked
			return nil
		}
		s.applySettings(p.Settings)
		return nil
	}
}

type initializeParams struct {
	InitializationOptions json.RawMessage `json:"initializationOptions"`
	Capabilities          struct {
		Workspace struct {
			Configuration bool `json:"configuration"`
		} `json:"workspace"`
	} `json:"capabilities"`
}

// pullConfiguration asks a client that supports workspace/configuration
// for the kgent section.
func (s *server) pullConfiguration() {
	s.mu.Lock()
	can := s.canPullConfig
	s.mu.Unlock()
	if !can {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var res []json.RawMessage
	if _, err := s.conn.Call(ctx, "workspace/configuration", map[string]any{"items": []map[string]any{{"section": "kgent"}}}, &res); err != nil {
		s.log.Printf("workspace/configuration: %v", err)
		return
	}
	if len(res) == 1 {
		s.applySettings(res[0])
	}
}

// applySettings takes {"kgent": {...}} or the inner object.
func (s *server) applySettings(raw json.RawMessage) {
	if len(raw) == 0 || string(raw) == "null" {
		return
	}
	var wrapped struct {
		Kgent *Settings `json:"kgent"`
	}
	var st Settings
	if json.Unmarshal(raw, &wrapped) == nil && wrapped.Kgent != nil {
		st = *wrapped.Kgent
	} else if err := json.Unmarshal(raw, &st); err != nil {
		s.log.Printf("ignoring settings: %v", err)
		return
	}
	s.mu.Lock()
	s.settings = st
	s.verifier = nil // rebuilt with the new tool paths
	s.mu.Unlock()
}

func (s *server) initialize(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	var p initializeParams
	if err := decode(req, &p); err != nil {
		return reply(ctx, nil, err)
	}
	s.applySettings(p.InitializationOptions)
	s.mu.Lock()
	if s.initialized {
		s.mu.Unlock()
		return reply(ctx, nil, &jsonrpc2.Error{Code: jsonrpc2.InvalidRequest, Message: "initialize was already called"})
	}
	s.initialized = true
	s.canPullConfig = p.Capabilities.Workspace.Configuration
	opts := s.opts.KB
	// Precedence: flag (opts) > environment (read by kb) > settings.
	if opts.Dir == "" && opts.BTFFile == "" {
		opts.Dir, opts.BTFFile = s.settings.KBDir, s.settings.TargetBTF
	}
	s.mu.Unlock()
	go func() {
		opts.Warn = func(w string) { s.log.Print(w) }
		k, err := s.opts.LoadKB(opts)
		s.mu.Lock()
		s.kb, s.kbErr = k, err
		s.mu.Unlock()
		close(s.kbReady)
		if err != nil {
			s.log.Printf("kb: %v", err)
			s.notify("window/showMessage", protocol.ShowMessageParams{Type: protocol.MessageTypeError, Message: "kgent: cannot load the kernel knowledge base: " + err.Error()})
			return
		}
		info := k.Info()
		s.notify("kgent/status", map[string]any{"kernel": info.Kernel, "source": info.Source, "reference": info.Reference, "counts": info.Counts, "verification": "idle"})
	}()
	trigger := []string{".", ">", ":", "/", "\""}
	return reply(ctx, map[string]any{
		"capabilities": map[string]any{
			"positionEncoding":       "utf-16",
			"textDocumentSync":       map[string]any{"openClose": true, "change": 2, "save": map[string]any{"includeText": false}},
			"hoverProvider":          true,
			"completionProvider":     map[string]any{"triggerCharacters": trigger},
			"codeActionProvider":     map[string]any{"codeActionKinds": []string{"quickfix", "refactor.rewrite"}},
			"documentSymbolProvider": true,
			"definitionProvider":     true,
			"foldingRangeProvider":   true,
			"executeCommandProvider": map[string]any{"commands": []string{"kgent.verify", "kgent.kb.rebuild", "kgent.generate"}},
		},
		"serverInfo": map[string]any{"name": "kgent", "version": Version},
	}, nil)
}

// Version is set by the command.
var Version = "devel"

func (s *server) getVerifier() *verify.Verifier {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.verifier == nil {
		s.verifier = verify.New(verify.Options{KB: s.kb, ClangPath: s.settings.ClangPath, BpftracePath: s.settings.BpftracePath, IncludePaths: s.settings.IncludePaths})
	}
	return s.verifier
}

func (s *server) verifyOnSave() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.settings.VerifyOnSave != nil {
		return *s.settings.VerifyOnSave
	}
	return os.Getenv("KGENT_VERIFY_ON_SAVE") != "0"
}
