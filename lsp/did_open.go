package lsp

import (
	"context"

	"go.lsp.dev/protocol"
)

type didOpenParams struct {
	TextDocument struct {
		URI        protocol.DocumentURI `json:"uri"`
		LanguageID string               `json:"languageId"`
		Version    int32                `json:"version"`
		Text       string               `json:"text"`
	} `json:"textDocument"`
}

// didOpen records the document and starts its analysis worker; the first
// analysis runs without debounce.
func (s *server) didOpen(ctx context.Context, p didOpenParams) {
	if p.TextDocument.URI == "" {
		s.log.Print("didOpen without a uri: ignored")
		return
	}
	d := newDocument(p.TextDocument.URI, p.TextDocument.Version, p.TextDocument.LanguageID, p.TextDocument.Text)
	s.mu.Lock()
	old := s.docs[d.uri]
	s.docs[d.uri] = d
	s.mu.Unlock()
	if old != nil {
		old.close()
	}
	s.goSafe("analysis of "+string(d.uri), func() { s.worker(d) })
	s.goSafe("first analysis of "+string(d.uri), func() {
		s.kbWait(s.connCtx, 0)
		if r := s.analyze(d); r != nil {
			s.publish(d, r)
		}
	})
	return
}
