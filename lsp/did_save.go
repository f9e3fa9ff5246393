package lsp

import (
	"context"

	"go.lsp.dev/jsonrpc2"
)

// didSave verifies the document (compile and load through the verifier,
// or bpftrace's own semantic pass) when verifyOnSave is on.
func init() {
	handlers["textDocument/didSave"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p docParams
		if err := decode(req, &p); err != nil {
			s.log.Print(err)
			return nil
		}
		if d := s.doc(p.TextDocument.URI); d != nil && s.verifyOnSave() {
			s.goSafe("verification of "+string(d.uri), func() { s.verifyDoc(d) })
		}
		return nil
	}
}
