package lsp

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis"
)

// utf16Offset converts an LSP position to a byte offset independently of
// analysis.LineIndex, counting UTF-16 units rune by rune.
func utf16Offset(text string, p protocol.Position) int {
	off := 0
	for line := uint32(0); line < p.Line; line++ {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			return len(text)
		}
		off += i + 1
	}
	units := uint32(0)
	for off < len(text) && text[off] != '\n' && units < p.Character {
		r, size := utf8.DecodeRuneInString(text[off:])
		units += uint32(utf16.RuneLen(r))
		off += size
	}
	return off
}

// TestSessionFixtures opens each testdata/lsp/session.* in the real server
// and checks, like an editor user would: the published diagnostics are the
// fixture's `want:` lines; each range (UTF-16, on lines with CJK, emoji
// and tabs) covers exactly the invented name the message quotes; and
// applying every preferred quick fix through didChange leaves no
// diagnostics.
func TestSessionFixtures(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/lsp/session.*")
	if len(paths) < 2 {
		t.Fatalf("fixtures missing: %v", paths)
	}
	c := newClient(t, 10*time.Millisecond)
	c.initialize()
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			text := string(data)
			abs, _ := filepath.Abs(path)
			uri := protocol.DocumentURI("file://" + abs)
			ch := c.watch(uri)
			lang := "c"
			if strings.HasSuffix(path, ".bt") {
				lang = "bpftrace"
			}
			c.open(uri, lang, text)
			p := c.wait(ch, nil)
			var fs []analysis.Finding
			for _, d := range p.Diagnostics {
				start, end := utf16Offset(text, d.Range.Start), utf16Offset(text, d.Range.End)
				fs = append(fs, analysis.Finding{Code: d.Code.(string), Span: analysis.Span{Start: start, End: end}, Message: d.Message, Severity: analysis.Error})
				if name := text[start:end]; name == "" || !strings.Contains(d.Message, name) {
					t.Errorf("%s: range %+v covers %q, not the name in %q", d.Code, d.Range, name, d.Message)
				}
				if d.Source != "kgent" || d.CodeDescription == nil || !strings.Contains(string(d.CodeDescription.Href), strings.ToLower(d.Code.(string))) {
					t.Errorf("%s: source %q, description %+v", d.Code, d.Source, d.CodeDescription)
				}
			}
			for _, problem := range analysis.MatchWants(text, fs) {
				t.Error(problem)
			}
			// Apply every preferred quick fix, as "fix all" would.
			var actions []protocol.CodeAction
			end := analysis.NewLineIndex(text).Position(len(text))
			if err := c.call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": uri},
				"range":   map[string]any{"start": map[string]any{"line": 0, "character": 0}, "end": map[string]any{"line": end.Line, "character": end.Character}},
				"context": map[string]any{"diagnostics": p.Diagnostics}}, &actions); err != nil {
				t.Fatal(err)
			}
			var edits []protocol.TextEdit
			for _, a := range actions {
				if a.Kind == protocol.QuickFix && a.IsPreferred && a.Edit != nil {
					edits = append(edits, a.Edit.Changes[uri]...)
				}
			}
			if len(edits) != len(p.Diagnostics) {
				t.Fatalf("%d preferred fixes for %d diagnostics", len(edits), len(p.Diagnostics))
			}
			// One didChange with the edits last to first, so each range is
			// still valid when it is applied.
			sort.Slice(edits, func(i, j int) bool {
				a, b := edits[i].Range.Start, edits[j].Range.Start
				return a.Line > b.Line || a.Line == b.Line && a.Character > b.Character
			})
			var changes []any
			for _, e := range edits {
				changes = append(changes, map[string]any{"range": e.Range, "text": e.NewText})
			}
			c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2}, "contentChanges": changes})
			p = c.wait(ch, func(p protocol.PublishDiagnosticsParams) bool { return p.Version == 2 })
			if len(p.Diagnostics) != 0 {
				t.Fatalf("after applying the fixes: %v %+v", codes(p.Diagnostics), p.Diagnostics)
			}
		})
	}
}
