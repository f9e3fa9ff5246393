package lsp

import (
	"context"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/ide"
)

var symbolKinds = map[ide.SymbolKind]protocol.SymbolKind{
	ide.SymbolProgram: protocol.SymbolKindFunction, ide.SymbolMap: protocol.SymbolKindVariable,
	ide.SymbolProbe: protocol.SymbolKindEvent, ide.SymbolMacro: protocol.SymbolKindConstant,
}

// documentSymbol is the outline: C programs with their SEC() and maps,
// bpftrace probes.
func (s *server) documentSymbol(ctx context.Context, p docParams) (any, error) {
	out := []protocol.DocumentSymbol{}
	d := s.doc(p.TextDocument.URI)
	if d == nil {
		return out, nil
	}
	r := s.current(d)
	if r == nil {
		return out, nil
	}
	for _, sym := range ide.Symbols(r.Text, d.dialect, r.Summary) {
		out = append(out, protocol.DocumentSymbol{Name: sym.Name, Detail: sym.Detail, Kind: symbolKinds[sym.Kind],
			Range: toRange(r.Lines(), sym.Span), SelectionRange: toRange(r.Lines(), sym.NameSpan)})
	}
	return out, nil
}
