package lsp

import (
	"strings"
	"testing"

	"go.lsp.dev/protocol"
)

// "Fix all kgent problems" is a source.fixAll action whose edit is the
// text kgent check --fix would write; asked for only source.fixAll, the
// quick fixes are left out.
func TestFixAllAction(t *testing.T) {
	c := newClient(t, 10)
	c.initialize()
	uri := protocol.DocumentURI("file:///tmp/kgent-test/fixall.bt")
	ch := c.watch(uri)
	c.open(uri, "bpftrace", "tracepoint:syscalls:sys_enter_opnat\n{\n\t@[comm] = cout();\n}\n")
	c.wait(ch, func(p protocol.PublishDiagnosticsParams) bool { return len(p.Diagnostics) >= 2 })
	var actions []protocol.CodeAction
	if err := c.call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": uri},
		"range":   map[string]any{"start": map[string]any{"line": 0, "character": 0}, "end": map[string]any{"line": 0, "character": 0}},
		"context": map[string]any{"diagnostics": []any{}, "only": []string{"source.fixAll"}}}, &actions); err != nil {
		t.Fatal(err)
	}
	if len(actions) != 1 || actions[0].Kind != "source.fixAll.kgent" || actions[0].Edit == nil {
		t.Fatalf("%+v", actions)
	}
	edits := actions[0].Edit.Changes[uri]
	if len(edits) != 1 || !strings.Contains(edits[0].NewText, "sys_enter_openat") || !strings.Contains(edits[0].NewText, "count()") {
		t.Fatalf("%+v", edits)
	}
}
