package lsp

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"
)

func includeProgram(include string) string {
	return "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n#include \"" + include + "\"\n" +
		"SEC(\"tp/syscalls/sys_enter_openat\")\nint f(void *ctx) { bpf_kgent_unknown(ctx); return 0; }\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n"
}

func diagnostic(ds []protocol.Diagnostic, code string) *protocol.Diagnostic {
	for i := range ds {
		if ds[i].Code == code {
			return &ds[i]
		}
	}
	return nil
}

// TestDidOpenIncludesSpecialFiles: opening a document (no save) whose
// includes name /dev/zero or, through a path under /proc/self/fd, one of
// the server's own pipes, publishes KG506 instead of reading them (which
// ran the server out of memory or hung its analysis); the include paths
// setting allows a header outside the document's directory.
func TestDidOpenIncludesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "common.h"), []byte("#define bpf_kgent_unknown(x) 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()

	c := newClient(t, 10*time.Millisecond)
	var res map[string]any
	if err := c.call("initialize", map[string]any{"processId": os.Getpid(), "rootUri": "file://" + dir, "capabilities": map[string]any{},
		"initializationOptions": map[string]any{"kgent": map[string]any{"verifyOnSave": false, "includePaths": []string{other}}}}, &res); err != nil {
		t.Fatal(err)
	}
	c.notify("initialized", map[string]any{})

	up := strings.Repeat("../", strings.Count(dir, "/")+2)
	rel, _ := filepath.Rel(dir, filepath.Join(other, "common.h"))
	cases := []struct {
		uri     protocol.DocumentURI
		include string
		want    string // "" for no KG506
	}{
		{protocol.DocumentURI("file://" + dir + "/zero.bpf.c"), up + "dev/zero", "is not a regular file (a character device)"},
		{"file:///proc/self/fd/p.bpf.c", strconv.Itoa(int(r.Fd())), "is not a regular file"},
		{protocol.DocumentURI("file://" + dir + "/passwd.bpf.c"), "/etc/passwd", "is outside the allowed include directories"},
		{protocol.DocumentURI("file://" + dir + "/common.bpf.c"), rel, ""},
	}
	for _, tc := range cases {
		ch := c.watch(tc.uri)
		c.open(tc.uri, "c", includeProgram(tc.include))
		p := c.wait(ch, nil)
		d := diagnostic(p.Diagnostics, "KG506")
		switch {
		case tc.want == "" && d != nil:
			t.Errorf("%s: %v", tc.uri, d)
		case tc.want != "" && (d == nil || !strings.Contains(d.Message, tc.want) || d.Range.Start.Line != 2):
			t.Errorf("%s: want KG506 %q on line 3, got %v", tc.uri, tc.want, p.Diagnostics)
		}
	}
	// The server still answers.
	var h protocol.Hover
	if err := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": cases[0].uri}, "position": map[string]any{"line": 4, "character": 20}}, &h); err != nil {
		t.Fatalf("hover after the checks: %v", err)
	}
}
