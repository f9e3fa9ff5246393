package lsp

import (
	"context"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/ide"
)

// definition goes to where a map, variable or macro is defined in the
// same document.
func (s *server) definition(ctx context.Context, p positionParams) (any, error) {
	d := s.doc(p.TextDocument.URI)
	if d == nil {
		return nil, nil
	}
	text, idx, _ := d.snapshot()
	sp, ok := ide.Definition(text, idx.Offset(fromPosition(p.Position)), d.dialect)
	if !ok {
		return nil, nil
	}
	return []protocol.Location{{URI: d.uri, Range: toRange(idx, sp)}}, nil
}
