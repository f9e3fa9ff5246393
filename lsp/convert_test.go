package lsp

import (
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis"
)

// TestToDiagnostic pins the conversion of a finding: UTF-16 range, code
// and its documentation link, severity, related information, notes under
// the message, the deprecated tag.
func TestToDiagnostic(t *testing.T) {
	text := "// 😀 中\nx = bpf_probe_read(a, b, c);\n"
	idx := analysis.NewLineIndex(text)
	start := strings.Index(text, "bpf_probe_read")
	f := analysis.Finding{Code: analysis.KG204, Severity: analysis.Warning, Source: analysis.SourceKgent,
		Span: analysis.Span{Start: start, End: start + len("bpf_probe_read")}, Message: "bpf_probe_read is deprecated",
		Notes:   []string{"help: use bpf_probe_read_kernel", strings.Repeat("x", 400)},
		Related: []analysis.Related{{Span: analysis.Span{Start: 3, End: 7}, Message: "the emoji"}}}
	d := toDiagnostic("file:///a.bpf.c", idx, f)
	if d.Range.Start != (protocol.Position{Line: 1, Character: 4}) || d.Range.End != (protocol.Position{Line: 1, Character: 18}) {
		t.Fatalf("range %+v", d.Range)
	}
	if d.Severity != protocol.DiagnosticSeverityWarning || d.Code != "KG204" || d.Source != "kgent" {
		t.Fatalf("%+v", d)
	}
	if d.CodeDescription == nil || !strings.Contains(string(d.CodeDescription.Href), "kg204") {
		t.Fatalf("description %+v", d.CodeDescription)
	}
	if len(d.Tags) != 1 || d.Tags[0] != protocol.DiagnosticTagDeprecated {
		t.Fatalf("tags %v", d.Tags)
	}
	// The emoji is two UTF-16 units: bytes 3..7 are characters 3..5.
	if len(d.RelatedInformation) != 1 || d.RelatedInformation[0].Location.Range.End.Character != 5 {
		t.Fatalf("related %+v", d.RelatedInformation)
	}
	lines := strings.Split(d.Message, "\n")
	if len(lines) != 3 || lines[1] != "help: use bpf_probe_read_kernel" || len(lines[2]) > maxNote+len("…") {
		t.Fatalf("message %q", d.Message)
	}
}
