package lsp

import (
	"context"

	"go.lsp.dev/protocol"
)

type codeActionParams struct {
	TextDocument struct {
		URI protocol.DocumentURI `json:"uri"`
	} `json:"textDocument"`
	Range protocol.Range `json:"range"`
}

// codeAction offers every fix of the findings in range as a quickfix
// (from the server's own analysis of the current text, never from the
// client's possibly stale diagnostics), and "Generate eBPF program from
// comment" on an intent comment.

func (s *server) codeAction(ctx context.Context, p codeActionParams) (any, error) {
	actions := []protocol.CodeAction{}
	d := s.doc(p.TextDocument.URI)
	if d == nil {
		return actions, nil
	}
	r := s.current(d)
	if r == nil {
		return actions, nil
	}
	start, end := fromRange(r.Lines(), p.Range)
	for _, f := range d.findingsFor(r) {
		if f.Span.End < start || f.Span.Start > end {
			continue
		}
		diag := toDiagnostic(d.uri, r.Lines(), f)
		for i, fx := range f.Fixes {
			actions = append(actions, protocol.CodeAction{
				Title: fx.Title, Kind: protocol.QuickFix, Diagnostics: []protocol.Diagnostic{diag}, IsPreferred: i == 0,
				Edit: &protocol.WorkspaceEdit{Changes: map[protocol.DocumentURI][]protocol.TextEdit{d.uri: toTextEdits(r.Lines(), fx.Edits)}},
			})
		}
	}
	if ga := generateAction(d.uri, r.Text, int(p.Range.Start.Line)); ga != nil {
		actions = append(actions, *ga)
	}
	return actions, nil
}
