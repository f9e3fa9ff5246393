package lsp

import (
	"context"
	"fmt"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/pipeline"
)

type codeActionParams struct {
	TextDocument struct {
		URI protocol.DocumentURI `json:"uri"`
	} `json:"textDocument"`
	Range   protocol.Range `json:"range"`
	Context struct {
		Only []protocol.CodeActionKind `json:"only"`
	} `json:"context"`
}

// fixAllKind is the "fix all" action's kind (editors run source.fixAll
// actions on save when configured to).
const fixAllKind protocol.CodeActionKind = "source.fixAll.kgent"

// codeAction offers every fix of the findings in range as a quickfix
// (from the server's own analysis of the current text, never from the
// client's possibly stale diagnostics), and "Generate eBPF program from
// comment" on an intent comment, and "Fix all kgent problems": every fix
// that helps, applied as kgent check --fix applies them.
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
	if fa := s.fixAllAction(ctx, d, r); fa != nil {
		actions = append(actions, *fa)
	}
	if len(p.Context.Only) > 0 {
		var keep []protocol.CodeAction
		for _, a := range actions {
			for _, k := range p.Context.Only {
				if a.Kind == k || strings.HasPrefix(string(a.Kind), string(k)+".") {
					keep = append(keep, a)
					break
				}
			}
		}
		actions = append([]protocol.CodeAction{}, keep...)
	}
	return actions, nil
}

// fixAllAction replaces the document with the text every helping fix
// gives (pipeline.FixAll), when at least one helps.
func (s *server) fixAllAction(ctx context.Context, d *document, r *result) *protocol.CodeAction {
	fixable := false
	for _, f := range r.Static {
		fixable = fixable || len(f.Fixes) > 0
	}
	if !fixable {
		return nil
	}
	fixed, applied, _, err := s.pipe.FixAll(ctx, pipeline.Document{Path: d.path, Version: r.Version, Text: r.Text, Dialect: r.Dialect}, pipeline.FixOptions{})
	if err != nil || len(applied) == 0 {
		return nil
	}
	all := toRange(r.Lines(), analysis.Span{Start: 0, End: len(r.Text)})
	return &protocol.CodeAction{Title: fmt.Sprintf("Fix all kgent problems (%d fixes)", len(applied)), Kind: fixAllKind,
		Edit: &protocol.WorkspaceEdit{Changes: map[protocol.DocumentURI][]protocol.TextEdit{d.uri: {{Range: all, NewText: fixed}}}}}
}
