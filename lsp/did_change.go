package lsp

import (
	"context"

	"go.lsp.dev/protocol"
)

type didChangeParams struct {
	TextDocument struct {
		URI     protocol.DocumentURI `json:"uri"`
		Version int32                `json:"version"`
	} `json:"textDocument"`
	ContentChanges []struct {
		Range *protocol.Range `json:"range"`
		Text  string          `json:"text"`
	} `json:"contentChanges"`
}

// didChange applies the edits (incremental or whole text), bumps the
// generation and wakes the analysis worker; it never analyses. A version
// that does not increase is ignored with a log line.
func (s *server) didChange(ctx context.Context, p didChangeParams) {
	d := s.doc(p.TextDocument.URI)
	if d == nil {
		s.log.Printf("didChange for a document that is not open: %s", p.TextDocument.URI)
		return
	}
	d.mu.Lock()
	if p.TextDocument.Version <= d.version {
		v := d.version
		d.mu.Unlock()
		s.log.Printf("ignoring change to version %d of %s: already at version %d", p.TextDocument.Version, d.uri, v)
		return
	}
	d.version = p.TextDocument.Version
	for _, c := range p.ContentChanges {
		d.applyChangeLocked(c.Range, c.Text)
	}
	d.gen++
	d.mu.Unlock()
	d.kick()
	return
}
