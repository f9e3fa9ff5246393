package lsp

import (
	"context"

	"go.lsp.dev/protocol"
)

type docParams struct {
	TextDocument struct {
		URI protocol.DocumentURI `json:"uri"`
	} `json:"textDocument"`
}

// didClose forgets the document and clears its diagnostics with [].
func (s *server) didClose(ctx context.Context, p docParams) {
	s.mu.Lock()
	d := s.docs[p.TextDocument.URI]
	delete(s.docs, p.TextDocument.URI)
	s.mu.Unlock()
	if d == nil {
		return
	}
	d.close()
	d.pubMu.Lock()
	s.notify("textDocument/publishDiagnostics", protocol.PublishDiagnosticsParams{URI: d.uri, Diagnostics: []protocol.Diagnostic{}})
	d.pubMu.Unlock()
	return
}
