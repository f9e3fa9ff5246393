package lsp

import (
	"context"
	"encoding/json"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// Commands the server executes (workspace/executeCommand).
const (
	cmdGenerate  = "kgent.generate"   // {"uri", "line"}: program from the intent comment at line
	cmdVerify    = "kgent.verify"     // {"uri"}: verify the open document now
	cmdKBRebuild = "kgent.kb.rebuild" // rebuild the kb from the target, re-check everything
)

type uriArg struct {
	URI protocol.DocumentURI `json:"uri"`
}

// executeCommand replies at once; the work runs in the background with
// $/progress and reports through diagnostics, kgent/status and
// workspace/applyEdit.

type executeCommandParams struct {
	Command   string            `json:"command"`
	Arguments []json.RawMessage `json:"arguments"`
}

func (s *server) executeCommand(ctx context.Context, p executeCommandParams) (any, error) {
	switch p.Command {
	case cmdVerify:
		var a uriArg
		if len(p.Arguments) == 0 || json.Unmarshal(p.Arguments[0], &a) != nil || a.URI == "" {
			return nil, &jsonrpc2.Error{Code: jsonrpc2.InvalidParams, Message: `kgent.verify takes {"uri": ...}`}
		}
		d := s.doc(a.URI)
		if d == nil {
			return nil, &jsonrpc2.Error{Code: jsonrpc2.InvalidParams, Message: "document is not open: " + string(a.URI)}
		}
		s.goSafe("verification of "+string(d.uri), func() { s.verifyDoc(d) })
		return nil, nil
	case cmdKBRebuild:
		s.goSafe("kb rebuild", func() {
			token := s.newProgress("kb")
			s.progress(token, map[string]any{"kind": "begin", "title": "kgent: rebuilding the kernel knowledge base"})
			s.loadKB(true)
			s.mu.Lock()
			err := s.kbErr
			s.mu.Unlock()
			msg := "rebuilt; open documents re-checked"
			if err != nil {
				msg = "failed: " + err.Error()
			}
			s.progress(token, map[string]any{"kind": "end", "message": msg})
		})
		return nil, nil
	case cmdGenerate:
		return s.generate(p.Arguments)
	}
	return nil, &jsonrpc2.Error{Code: jsonrpc2.InvalidParams, Message: "unknown command " + p.Command + " (kgent.generate, kgent.verify, kgent.kb.rebuild)"}
}
