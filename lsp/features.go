package lsp

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/bpftrace"
	"github.com/kgent/kgent/analysis/ide"
)

type positionParams struct {
	TextDocument struct {
		URI protocol.DocumentURI `json:"uri"`
	} `json:"textDocument"`
	Position protocol.Position `json:"position"`
}

// snapshot returns the document's text, dialect and the byte offset of a
// position.
func (s *server) snapshot(uri protocol.DocumentURI, pos protocol.Position) (string, analysis.Dialect, int, bool) {
	d := s.doc(uri)
	if d == nil {
		return "", "", 0, false
	}
	d.mu.Lock()
	text, dialect := d.doc.Text(), d.doc.Dialect
	d.mu.Unlock()
	idx := analysis.NewLineIndex(text)
	return text, dialect, idx.Offset(analysis.Position{Line: int(pos.Line), Character: int(pos.Character)}), true
}

var completionKinds = map[string]protocol.CompletionItemKind{
	"function": protocol.CompletionItemKindFunction, "variable": protocol.CompletionItemKindVariable,
	"field": protocol.CompletionItemKindField, "module": protocol.CompletionItemKindModule,
	"event": protocol.CompletionItemKindEvent, "keyword": protocol.CompletionItemKindKeyword,
}

func init() {
	handlers["textDocument/hover"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p positionParams
		if err := decode(req, &p); err != nil {
			return reply(ctx, nil, err)
		}
		text, dialect, off, ok := s.snapshot(p.TextDocument.URI, p.Position)
		if !ok {
			return reply(ctx, nil, nil)
		}
		h, ok := ide.HoverAt(text, off, dialect, s.waitKB(ctx))
		if !ok {
			return reply(ctx, nil, nil)
		}
		r := toRange(analysis.NewLineIndex(text), h.Span)
		return reply(ctx, protocol.Hover{Contents: protocol.MarkupContent{Kind: protocol.Markdown, Value: h.Markdown}, Range: &r}, nil)
	}
	handlers["textDocument/completion"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p positionParams
		if err := decode(req, &p); err != nil {
			return reply(ctx, nil, err)
		}
		text, dialect, off, ok := s.snapshot(p.TextDocument.URI, p.Position)
		if !ok {
			return reply(ctx, nil, nil)
		}
		items := ide.Complete(text, off, dialect, s.waitKB(ctx))
		out := make([]protocol.CompletionItem, 0, len(items))
		for i, it := range items {
			ci := protocol.CompletionItem{Label: it.Label, Kind: completionKinds[it.Kind], Detail: it.Detail, SortText: sortKey(i)}
			if it.Doc != "" {
				ci.Documentation = protocol.MarkupContent{Kind: protocol.PlainText, Value: it.Doc}
			}
			out = append(out, ci)
		}
		return reply(ctx, protocol.CompletionList{IsIncomplete: len(items) >= 200, Items: out}, nil)
	}
	handlers["textDocument/codeAction"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p struct {
			TextDocument struct {
				URI protocol.DocumentURI `json:"uri"`
			} `json:"textDocument"`
			Range protocol.Range `json:"range"`
		}
		if err := decode(req, &p); err != nil {
			return reply(ctx, nil, err)
		}
		actions := s.codeActions(p.TextDocument.URI, p.Range)
		if ga := s.generateAction(p.TextDocument.URI, p.Range.Start.Line); ga != nil {
			actions = append(actions, *ga)
		}
		return reply(ctx, actions, nil)
	}
	handlers["textDocument/documentSymbol"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p docParams
		if err := decode(req, &p); err != nil {
			return reply(ctx, nil, err)
		}
		return reply(ctx, s.symbols(p.TextDocument.URI), nil)
	}
	handlers["textDocument/foldingRange"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p docParams
		if err := decode(req, &p); err != nil {
			return reply(ctx, nil, err)
		}
		var out []protocol.FoldingRange
		for _, sym := range s.symbols(p.TextDocument.URI) {
			if sym.Range.End.Line > sym.Range.Start.Line {
				out = append(out, protocol.FoldingRange{StartLine: sym.Range.Start.Line, EndLine: sym.Range.End.Line, Kind: protocol.RegionFoldingRange})
			}
		}
		return reply(ctx, out, nil)
	}
	handlers["textDocument/definition"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p positionParams
		if err := decode(req, &p); err != nil {
			return reply(ctx, nil, err)
		}
		text, _, off, ok := s.snapshot(p.TextDocument.URI, p.Position)
		if !ok {
			return reply(ctx, nil, nil)
		}
		sp, ok := definition(text, off)
		if !ok {
			return reply(ctx, nil, nil)
		}
		return reply(ctx, []protocol.Location{{URI: p.TextDocument.URI, Range: toRange(analysis.NewLineIndex(text), sp)}}, nil)
	}
	handlers["workspace/executeCommand"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p struct {
			Command   string            `json:"command"`
			Arguments []json.RawMessage `json:"arguments"`
		}
		if err := decode(req, &p); err != nil {
			return reply(ctx, nil, err)
		}
		return s.executeCommand(ctx, reply, p.Command, p.Arguments)
	}
}

func sortKey(i int) string {
	const digits = "0123456789"
	b := []byte("00000")
	for j := 4; j >= 0 && i > 0; j-- {
		b[j] = digits[i%10]
		i /= 10
	}
	return string(b)
}

// codeActions offers the fixes of the findings that overlap rng.
func (s *server) codeActions(uri protocol.DocumentURI, rng protocol.Range) []protocol.CodeAction {
	d := s.doc(uri)
	if d == nil {
		return nil
	}
	d.mu.Lock()
	text, fs := d.text, d.findings
	current := d.doc.Text()
	d.mu.Unlock()
	if text != current {
		return nil // findings are about an older text; the next publish brings fresh ones
	}
	idx := analysis.NewLineIndex(text)
	start := idx.Offset(analysis.Position{Line: int(rng.Start.Line), Character: int(rng.Start.Character)})
	end := idx.Offset(analysis.Position{Line: int(rng.End.Line), Character: int(rng.End.Character)})
	actions := []protocol.CodeAction{}
	for _, f := range fs {
		if f.Span.End < start || f.Span.Start > end {
			continue
		}
		diag := toDiagnostic(uri, idx, f)
		for i, fx := range f.Fixes {
			var edits []protocol.TextEdit
			for _, e := range fx.Edits {
				edits = append(edits, protocol.TextEdit{Range: toRange(idx, e.Span), NewText: e.NewText})
			}
			actions = append(actions, protocol.CodeAction{
				Title: fx.Title, Kind: protocol.QuickFix, Diagnostics: []protocol.Diagnostic{diag}, IsPreferred: i == 0,
				Edit: &protocol.WorkspaceEdit{Changes: map[protocol.DocumentURI][]protocol.TextEdit{uri: edits}},
			})
		}
	}
	return actions
}

// symbols lists probes (bpftrace) or programs and maps (C).
func (s *server) symbols(uri protocol.DocumentURI) []protocol.DocumentSymbol {
	d := s.doc(uri)
	if d == nil {
		return nil
	}
	d.mu.Lock()
	text := d.doc.Text()
	sum, isC := d.doc.CSummary()
	dialect := d.doc.Dialect
	d.mu.Unlock()
	idx := analysis.NewLineIndex(text)
	out := []protocol.DocumentSymbol{}
	if isC {
		for _, p := range sum.Programs {
			out = append(out, protocol.DocumentSymbol{Name: p.Name, Detail: `SEC("` + p.Section.Name + `")`, Kind: protocol.SymbolKindFunction,
				Range: toRange(idx, p.Span), SelectionRange: toRange(idx, p.NameSpan)})
		}
		for _, m := range sum.Maps {
			out = append(out, protocol.DocumentSymbol{Name: m.Name, Detail: "map", Kind: protocol.SymbolKindVariable,
				Range: toRange(idx, m.Span), SelectionRange: toRange(idx, m.NameSpan)})
		}
		return out
	}
	if dialect == analysis.DialectBpftrace {
		f, _ := bpftrace.Parse(text)
		for _, p := range f.Probes {
			var names []string
			for _, a := range p.Attach {
				names = append(names, a.Raw)
			}
			out = append(out, protocol.DocumentSymbol{Name: strings.Join(names, ", "), Kind: protocol.SymbolKindEvent,
				Range: toRange(idx, p.Span), SelectionRange: toRange(idx, p.Attach[0].Span)})
		}
	}
	return out
}

var defRes = []*regexp.Regexp{
	regexp.MustCompile(`(?m)^\s*#\s*define\s+(%s)\b`),
	regexp.MustCompile(`\}\s*(%s)\s+SEC\(`),
	regexp.MustCompile(`(%s)\s*=`),
}

// definition finds, within the file, where the map, variable or macro
// under the cursor is defined: #define, a map definition, or the first
// assignment of a bpftrace $var/@map.
func definition(text string, off int) (analysis.Span, bool) {
	word, sp := ide.WordAt(text, off)
	if word == "" {
		return sp, false
	}
	if sp.Start > 0 && (text[sp.Start-1] == '$' || text[sp.Start-1] == '@') {
		word = string(text[sp.Start-1]) + word
	}
	for _, tmpl := range defRes {
		re := regexp.MustCompile(strings.Replace(tmpl.String(), "%s", regexp.QuoteMeta(word), 1))
		if m := re.FindStringSubmatchIndex(text); m != nil {
			return analysis.Span{Start: m[2], End: m[3]}, true
		}
	}
	return sp, false
}
