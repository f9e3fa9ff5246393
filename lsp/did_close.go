package lsp

import (
	"context"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

type docParams struct {
	TextDocument struct {
		URI protocol.DocumentURI `json:"uri"`
	} `json:"textDocument"`
}

// didClose forgets the document and clears its diagnostics with [].
func init() {
	handlers["textDocument/didClose"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p docParams
		if err := decode(req, &p); err != nil {
			s.log.Print(err)
			return nil
		}
		s.mu.Lock()
		d := s.docs[p.TextDocument.URI]
		delete(s.docs, p.TextDocument.URI)
		s.mu.Unlock()
		if d == nil {
			return nil
		}
		d.close()
		d.pubMu.Lock()
		s.notify("textDocument/publishDiagnostics", protocol.PublishDiagnosticsParams{URI: d.uri, Diagnostics: []protocol.Diagnostic{}})
		d.pubMu.Unlock()
		return nil
	}
}
