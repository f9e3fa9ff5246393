package lsp

import (
	"context"
)

// didSave verifies the document (compile and load through the verifier,
// or bpftrace's own semantic pass) when verifyOnSave is on.
func (s *server) didSave(ctx context.Context, p docParams) {
	if d := s.doc(p.TextDocument.URI); d != nil && s.verifyOnSave() {
		s.goSafe("verification of "+string(d.uri), func() { s.verifyDoc(d) })
	}
	return
}
