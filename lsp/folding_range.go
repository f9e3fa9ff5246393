package lsp

import (
	"context"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/ide"
)

// foldingRange folds probe blocks, functions, structs and block comments.
// The closing brace's line stays visible.
func init() {
	handlers["textDocument/foldingRange"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p docParams
		if err := decode(req, &p); err != nil {
			return reply(ctx, nil, err)
		}
		out := []protocol.FoldingRange{}
		d := s.doc(p.TextDocument.URI)
		if d == nil {
			return reply(ctx, out, nil)
		}
		text, idx, _ := d.snapshot()
		for _, f := range ide.Folds(text) {
			start, end := idx.Position(f.Span.Start).Line, idx.Position(f.Span.End).Line
			kind := protocol.RegionFoldingRange
			if f.Kind == ide.FoldComment {
				kind = protocol.CommentFoldingRange
			} else {
				end-- // keep the line of the closing brace
			}
			if end > start {
				out = append(out, protocol.FoldingRange{StartLine: uint32(start), EndLine: uint32(end), Kind: kind})
			}
		}
		return reply(ctx, out, nil)
	}
}
