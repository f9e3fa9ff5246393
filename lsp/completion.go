package lsp

import (
	"context"
	"fmt"

	"go.lsp.dev/jsonrpc2"
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
func init() {
	handlers["textDocument/completion"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p positionParams
		if err := decode(req, &p); err != nil {
			return reply(ctx, nil, err)
		}
		d := s.doc(p.TextDocument.URI)
		if d == nil {
			return reply(ctx, nil, nil)
		}
		text, idx, _ := d.snapshot()
		s.kbWait(ctx, s.opts.KBWait)
		items := ide.Complete(text, idx.Offset(fromPosition(p.Position)), d.dialect, s.currentKB())
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
		return reply(ctx, protocol.CompletionList{IsIncomplete: len(items) >= ide.MaxItems, Items: out}, nil)
	}
	// completionItem/resolve adds the documentation (prototype, header
	// docs) of the one item the editor shows.
	handlers["completionItem/resolve"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var item struct {
			protocol.CompletionItem
			Data completionData `json:"data"`
		}
		if err := decode(req, &item); err != nil {
			return reply(ctx, nil, err)
		}
		out := item.CompletionItem
		out.Data = item.Data
		if item.Data.Ref != "" {
			s.kbWait(ctx, s.opts.KBWait)
			if doc := ide.Resolve(item.Data.Ref, s.currentKB()); doc != "" {
				out.Documentation = protocol.MarkupContent{Kind: protocol.PlainText, Value: doc}
			}
		}
		return reply(ctx, out, nil)
	}
}
