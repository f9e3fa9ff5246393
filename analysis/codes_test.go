package analysis

import (
	"os"
	"strings"
	"testing"
)

// TestCodesDocumented keeps docs/codes.md and the registry in step.
func TestCodesDocumented(t *testing.T) {
	data, err := os.ReadFile("../docs/codes.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, c := range Codes() {
		if !strings.Contains(doc, "## "+c.Code+"\n") {
			t.Errorf("%s (%s) is not documented in docs/codes.md", c.Code, c.Title)
		}
	}
	for _, line := range strings.Split(doc, "\n") {
		if code, ok := strings.CutPrefix(line, "## "); ok {
			if _, known := Code(code); !known {
				t.Errorf("docs/codes.md documents %s, which is not in the registry", code)
			}
		}
	}
}

func TestLineIndexUTF16(t *testing.T) {
	text := "a\n\t中文😀x\r\nend"
	idx := NewLineIndex(text)
	off := strings.Index(text, "x")
	p := idx.Position(off)
	// tab=1, 中=1, 文=1, 😀=2 UTF-16 units.
	if p.Line != 1 || p.Character != 5 {
		t.Fatalf("Position = %+v", p)
	}
	if back := idx.Offset(p); back != off {
		t.Fatalf("Offset = %d, want %d", back, off)
	}
	// Past the end of a line clamps to its end (before \r\n).
	if got := idx.Offset(Position{Line: 1, Character: 99}); text[got:got+2] != "\r\n" {
		t.Fatalf("clamp to %d", got)
	}
	// Inside a surrogate pair lands before the emoji.
	if got := idx.Offset(Position{Line: 1, Character: 4}); !strings.HasPrefix(text[got:], "😀") {
		t.Fatalf("mid-surrogate offset %d", got)
	}
	if got := idx.Position(len(text) + 10); got.Line != 2 || got.Character != 3 {
		t.Fatalf("past end: %+v", got)
	}
}

func TestInvalidUTF8Positions(t *testing.T) {
	text := "ab\xffcd"
	idx := NewLineIndex(text)
	if p := idx.Position(4); p.Character != 4 {
		t.Fatalf("got %+v", p)
	}
	if off := idx.Offset(Position{Character: 4}); off != 4 {
		t.Fatalf("got %d", off)
	}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		path, text string
		want       Dialect
	}{
		{"x.bt", "", DialectBpftrace},
		{"script", "#!/usr/bin/env bpftrace\nBEGIN{}", DialectBpftrace},
		{"x.bpf.c", "", DialectC},
		{"prog.c", "#include \"vmlinux.h\"\n", DialectC},
		{"prog.c", "#include <bpf/bpf_helpers.h>\n", DialectC},
		{"main.c", "int main(){}", DialectNone},
		{"README", "hello", DialectNone},
	}
	for _, c := range cases {
		if got := Detect(c.path, c.text); got != c.want {
			t.Errorf("Detect(%q) = %q, want %q", c.path, got, c.want)
		}
	}
	if ParseDialect("bt") != DialectBpftrace || ParseDialect("C") != DialectC || ParseDialect("go") != DialectNone {
		t.Error("ParseDialect")
	}
}

func TestMatchWants(t *testing.T) {
	text := "a\nbad_name(); // want: KG201 \"did you mean\"\nok\n"
	off := strings.Index(text, "bad_name")
	good := []Finding{New(KG201, Span{off, off + 8}, "unknown function bad_name; did you mean good_name")}
	if p := MatchWants(text, good); len(p) != 0 {
		t.Fatalf("unexpected problems %v", p)
	}
	if p := MatchWants(text, nil); len(p) != 1 || !strings.Contains(p[0], "not reported") {
		t.Fatalf("missing finding not noticed: %v", p)
	}
	extra := append(good, New(KG501, Span{0, 1}, "missing license"))
	if p := MatchWants(text, extra); len(p) != 1 || !strings.Contains(p[0], "unexpected") {
		t.Fatalf("extra finding not noticed: %v", p)
	}
}

func TestLineIndexLines(t *testing.T) {
	for text, starts := range map[string][]int{"": {0}, "a": {0}, "a\n": {0, 2}, "\n\n": {0, 1, 2}, "a\nb\r\nc": {0, 2, 5}} {
		idx := NewLineIndex(text)
		if idx.Lines() != len(starts) {
			t.Fatalf("%q: %d lines, want %d", text, idx.Lines(), len(starts))
		}
		for i, s := range starts {
			if got := idx.LineStart(i); got != s {
				t.Fatalf("%q: line %d starts at %d, want %d", text, i, got, s)
			}
		}
	}
}

func TestMatchWantsOnTargets(t *testing.T) {
	text := "x // want: KG302(warning) \"a\" // want[k1 k2]: KG401\ny // want[k2]: KG304(error)\n"
	ws := ParseWants(text)
	if len(ws) != 3 || ws[0].Severity != Warning || ws[1].Targets[1] != "k2" || ws[2].Severity != Error {
		t.Fatalf("%+v", ws)
	}
	warn := Finding{Span: Span{0, 1}, Code: KG302, Severity: Warning, Message: "a b"}
	field := Finding{Span: Span{0, 1}, Code: KG401, Severity: Error}
	tp := Finding{Span: Span{len("x // want: KG302(warning) \"a\" // want[k1 k2]: KG401\n"), 0}, Code: KG304, Severity: Error}
	tp.Span.End = tp.Span.Start + 1
	if p := MatchWantsOn(text, []Finding{warn}, ""); len(p) != 0 {
		t.Errorf("no target: %v", p)
	}
	if p := MatchWantsOn(text, []Finding{warn, field}, "k1"); len(p) != 0 {
		t.Errorf("k1: %v", p)
	}
	if p := MatchWantsOn(text, []Finding{warn, field}, "k2"); len(p) != 1 || !strings.Contains(p[0], "KG304 (error)") {
		t.Errorf("k2 without the tracepoint: %v", p)
	}
	warn.Severity = Error
	if p := MatchWantsOn(text, []Finding{warn}, ""); len(p) != 2 {
		t.Errorf("an error where a warning is wanted: %v", p)
	}
}
