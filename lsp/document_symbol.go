package lsp

import (
	"context"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/ide"
)

var symbolKinds = map[ide.SymbolKind]protocol.SymbolKind{
	ide.SymbolProgram: protocol.SymbolKindFunction, ide.SymbolMap: protocol.SymbolKindVariable,
	ide.SymbolProbe: protocol.SymbolKindEvent, ide.SymbolMacro: protocol.SymbolKindConstant,
}

// documentSymbol is the outline: C programs with their SEC() and maps,
// bpftrace probes.
func init() {
	handlers["textDocument/documentSymbol"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p docParams
		if err := decode(req, &p); err != nil {
			return reply(ctx, nil, err)
		}
		out := []protocol.DocumentSymbol{}
		d := s.doc(p.TextDocument.URI)
		if d == nil {
			return reply(ctx, out, nil)
		}
		r := s.current(d)
		if r == nil {
			return reply(ctx, out, nil)
		}
		for _, sym := range ide.Symbols(r.Text, d.dialect, r.Summary) {
			out = append(out, protocol.DocumentSymbol{Name: sym.Name, Detail: sym.Detail, Kind: symbolKinds[sym.Kind],
				Range: toRange(r.Lines(), sym.Span), SelectionRange: toRange(r.Lines(), sym.NameSpan)})
		}
		return reply(ctx, out, nil)
	}
}
