package lsp

import (
	"context"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/ide"
	"github.com/kgent/kgent/kb"
)

type positionParams struct {
	TextDocument struct {
		URI protocol.DocumentURI `json:"uri"`
	} `json:"textDocument"`
	Position protocol.Position `json:"position"`
}

// hover describes the kernel name under the cursor (helper, kfunc,
// kernel function, tracepoint, struct or field, bpftrace builtin); null
// elsewhere and for documents that are not open.
func (s *server) hover(ctx context.Context, p positionParams) (any, error) {
	d := s.doc(p.TextDocument.URI)
	if d == nil {
		return nil, nil
	}
	text, idx, _ := d.snapshot()
	s.kbWait(ctx, s.opts.KBWait)
	h, ok := ide.HoverAt(text, idx.Offset(fromPosition(p.Position)), d.dialect, s.currentKB(), s.bpftraceRelease())
	if !ok {
		return nil, nil
	}
	if ts := s.pipe.Targets(); len(ts) > 1 {
		names, kbs := make([]string, len(ts)), make([]*kb.KB, len(ts))
		for i, t := range ts {
			names[i], kbs[i] = t.Name, t.KB
		}
		h.Markdown += ide.Availability(h, names, kbs)
	}
	r := toRange(idx, h.Span)
	return protocol.Hover{Contents: protocol.MarkupContent{Kind: protocol.Markdown, Value: h.Markdown}, Range: &r}, nil
}

// bpftraceRelease is the release scripts are checked against, for
// hover and completion: the pipeline's, as the diagnostics use.
func (s *server) bpftraceRelease() string {
	v, _ := s.pipe.BpftraceRelease()
	return v
}
