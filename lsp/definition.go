package lsp

import (
	"context"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/ide"
)

// definition goes to where a map, variable or macro is defined in the
// same document.
func init() {
	handlers["textDocument/definition"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p positionParams
		if err := decode(req, &p); err != nil {
			return reply(ctx, nil, err)
		}
		d := s.doc(p.TextDocument.URI)
		if d == nil {
			return reply(ctx, nil, nil)
		}
		text, idx, _ := d.snapshot()
		sp, ok := ide.Definition(text, idx.Offset(fromPosition(p.Position)), d.dialect)
		if !ok {
			return reply(ctx, nil, nil)
		}
		return reply(ctx, []protocol.Location{{URI: d.uri, Range: toRange(idx, sp)}}, nil)
	}
}
