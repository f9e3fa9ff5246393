package mcp

import (
	"strings"
	"testing"
)

// generate_program's answer carries the intent check's verdict.
func TestGenerateIntent(t *testing.T) {
	cs := session(t, Options{})
	var g GenerateOutput
	call(t, cs, "generate_program", map[string]any{"request": "count page faults for each process", "language": "bt"}, &g)
	if g.Intent == nil || !g.Intent.Fits || !strings.HasPrefix(g.Intent.Sentence, "fits the request") {
		t.Fatalf("%+v", g.Intent)
	}
}
