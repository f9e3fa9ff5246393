package lsp

import (
	"context"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/ide"
)

// foldingRange folds probe blocks, functions, structs and block comments.
// The closing brace's line stays visible.
func (s *server) foldingRange(ctx context.Context, p docParams) (any, error) {
	out := []protocol.FoldingRange{}
	d := s.doc(p.TextDocument.URI)
	if d == nil {
		return out, nil
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
	return out, nil
}
