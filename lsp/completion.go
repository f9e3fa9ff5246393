package lsp

import (
	"context"
	"fmt"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/ide"
)

var completionKinds = map[string]protocol.CompletionItemKind{
	"function": protocol.CompletionItemKindFunction, "variable": protocol.CompletionItemKindVariable,
	"field": protocol.CompletionItemKindField, "module": protocol.CompletionItemKindModule,
	"event": protocol.CompletionItemKindEvent, "keyword": protocol.CompletionItemKindKeyword,
}

// completionData rides in an item's data so completionItem/resolve can
// add the documentation of that one item.
type completionData struct {
	Ref string `json:"kgentRef"`
}

// completion offers attach points, helpers, kfuncs, bpftrace builtins and
// struct or tracepoint fields at the cursor; lists are capped (kernel
// functions number tens of thousands) and marked incomplete when cut.
func (s *server) completion(ctx context.Context, p positionParams) (any, error) {
	d := s.doc(p.TextDocument.URI)
	if d == nil {
		return nil, nil
	}
	text, idx, _ := d.snapshot()
	s.kbWait(ctx, s.opts.KBWait)
	items := ide.Complete(text, idx.Offset(fromPosition(p.Position)), d.dialect, s.currentKB(), s.bpftraceRelease())
	out := make([]protocol.CompletionItem, 0, len(items))
	for i, it := range items {
		ci := protocol.CompletionItem{Label: it.Label, Kind: completionKinds[it.Kind], Detail: it.Detail, SortText: fmt.Sprintf("%05d", i)}
		if it.Doc != "" {
			ci.Documentation = protocol.MarkupContent{Kind: protocol.Markdown, Value: it.Doc}
		}
		if it.Ref != "" {
			ci.Data = completionData{Ref: it.Ref}
		}
		out = append(out, ci)
	}
	return protocol.CompletionList{IsIncomplete: len(items) >= ide.MaxItems, Items: out}, nil
}

type completionResolveParams struct {
	protocol.CompletionItem
	Data completionData `json:"data"`
}

// completionResolve (completionItem/resolve) adds the documentation
// (prototype, header docs) of the one item the editor shows.
func (s *server) completionResolve(ctx context.Context, item completionResolveParams) (any, error) {
	out := item.CompletionItem
	out.Data = item.Data
	if item.Data.Ref != "" {
		s.kbWait(ctx, s.opts.KBWait)
		if doc := ide.Resolve(item.Data.Ref, s.currentKB()); doc != "" {
			out.Documentation = protocol.MarkupContent{Kind: protocol.PlainText, Value: doc}
		}
	}
	return out, nil
}
