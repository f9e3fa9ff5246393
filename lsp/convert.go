package lsp

import (
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis"
)

// Conversions between analysis values (byte spans) and protocol values
// (UTF-16 positions), always through the text's analysis.LineIndex.

func fromPosition(p protocol.Position) analysis.Position {
	return analysis.Position{Line: int(p.Line), Character: int(p.Character)}
}

func toPosition(p analysis.Position) protocol.Position {
	return protocol.Position{Line: uint32(max(p.Line, 0)), Character: uint32(max(p.Character, 0))}
}

func toRange(idx *analysis.LineIndex, sp analysis.Span) protocol.Range {
	return protocol.Range{Start: toPosition(idx.Position(sp.Start)), End: toPosition(idx.Position(sp.End))}
}

// fromRange converts a range to byte offsets, start <= end.
func fromRange(idx *analysis.LineIndex, r protocol.Range) (int, int) {
	a, b := idx.Offset(fromPosition(r.Start)), idx.Offset(fromPosition(r.End))
	if b < a {
		a, b = b, a
	}
	return a, b
}

// maxNote bounds one note appended to a diagnostic's message.
const maxNote = 300

func toDiagnostic(uri protocol.DocumentURI, idx *analysis.LineIndex, f analysis.Finding) protocol.Diagnostic {
	d := protocol.Diagnostic{Range: toRange(idx, f.Span), Code: f.Code, Source: f.Source, Message: f.Message}
	switch f.Severity {
	case analysis.Error:
		d.Severity = protocol.DiagnosticSeverityError
	case analysis.Warning:
		d.Severity = protocol.DiagnosticSeverityWarning
	case analysis.Information:
		d.Severity = protocol.DiagnosticSeverityInformation
	default:
		d.Severity = protocol.DiagnosticSeverityHint
	}
	if f.Code == analysis.KG204 {
		d.Tags = []protocol.DiagnosticTag{protocol.DiagnosticTagDeprecated} // editors strike it through
	}
	if f.Code != "" {
		d.CodeDescription = &protocol.CodeDescription{Href: protocol.URI(analysis.DocURL(f.Code))}
	}
	for _, r := range f.Related {
		loc := protocol.Location{URI: uri, Range: toRange(idx, r.Span)}
		if r.Path != "" {
			// Another file: its text is not open here, so only its start
			// line is known to be meaningful.
			loc = protocol.Location{URI: protocol.DocumentURI("file://" + r.Path)}
		}
		d.RelatedInformation = append(d.RelatedInformation, protocol.DiagnosticRelatedInformation{Location: loc, Message: r.Message})
	}
	// Notes ("checked against kernel ...", "help: ...") go under the
	// message, as editors show relatedInformation only with a location.
	for _, n := range f.Notes {
		if len(n) > maxNote {
			n = n[:maxNote] + "…"
		}
		d.Message += "\n" + n
	}
	return d
}

func toTextEdits(idx *analysis.LineIndex, edits []analysis.Edit) []protocol.TextEdit {
	out := make([]protocol.TextEdit, 0, len(edits))
	for _, e := range edits {
		out = append(out, protocol.TextEdit{Range: toRange(idx, e.Span), NewText: e.NewText})
	}
	return out
}
