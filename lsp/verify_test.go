package lsp

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/internal/testenv"
)

// initWorkspace initializes the server with verification on save and the
// workspace folder dir.
func (c *client) initWorkspace(dir string) {
	c.t.Helper()
	var res map[string]any
	if err := c.call("initialize", map[string]any{"processId": os.Getpid(), "rootUri": "file://" + dir,
		"workspaceFolders":      []any{map[string]any{"uri": "file://" + dir, "name": "w"}},
		"initializationOptions": map[string]any{"kgent": map[string]any{"verifyOnSave": true}}}, &res); err != nil {
		c.t.Fatal(err)
	}
	c.notify("initialized", map[string]any{})
}

func publicDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kgent-lsp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	return dir
}

func allText(ds []protocol.Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.Message + "\n")
		for _, r := range d.RelatedInformation {
			b.WriteString(r.Message + "\n")
		}
	}
	return b.String()
}

// TestVerifyOutsideWorkspaceUntrusted: a file outside the workspace
// folders is verified as untrusted (what clang says about a header it
// includes is not shown); the same program inside the workspace is the
// user's own and shows it (the control).
func TestVerifyOutsideWorkspaceUntrusted(t *testing.T) {
	testenv.Require(t, testenv.BPF, testenv.Clang, testenv.Bpftool, testenv.Headers)
	work, elsewhere := publicDir(t), publicDir(t)
	c := newClient(t, 10*time.Millisecond)
	c.initWorkspace(work)
	checkTrust(t, c, work, elsewhere)
}

// The trusted folders follow workspace/didChangeWorkspaceFolders: after
// the user swaps the workspace's folder for another, a file in the new
// one is the user's own and one in the old one is untrusted.
func TestWorkspaceFoldersChange(t *testing.T) {
	testenv.Require(t, testenv.BPF, testenv.Clang, testenv.Bpftool, testenv.Headers)
	old, added := publicDir(t), publicDir(t)
	c := newClient(t, 10*time.Millisecond)
	c.initWorkspace(old)
	c.notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added":   []any{map[string]any{"uri": "file://" + added, "name": "added"}},
		"removed": []any{map[string]any{"uri": "file://" + old, "name": "old"}}}})
	checkTrust(t, c, added, old)
}

// checkTrust saves the same program, which includes a header of garbage
// holding a random token, in trusted and in untrusted: clang's complaint
// quotes the token in the first and is replaced by "an included file has
// errors" in the second.
func checkTrust(t *testing.T, c *client, trusted, untrusted string) {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	token := "kgent_token_" + hex.EncodeToString(b)
	hdr := filepath.Join(publicDir(t), "data.h")
	if err := os.WriteFile(hdr, []byte(token+" garbage here;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf("#include \"vmlinux.h\"\n#include \"%s\"\nint x;\n", hdr)
	for _, tc := range []struct {
		dir   string
		shown bool
	}{{trusted, true}, {untrusted, false}} {
		p := saveForClang(c, filepath.Join(tc.dir, "p.bpf.c"), src)
		text := allText(p.Diagnostics)
		if strings.Contains(text, token) != tc.shown {
			t.Errorf("%s: header contents shown %v, want %v:\n%s", tc.dir, !tc.shown, tc.shown, text)
		}
		if !tc.shown && !strings.Contains(text, "an included file has errors") {
			t.Errorf("outside the workspace: %s", text)
		}
	}
}

// saveForClang opens path with src, saves it and returns the first
// publish that carries clang's diagnostics.
func saveForClang(c *client, path, src string) protocol.PublishDiagnosticsParams {
	c.t.Helper()
	uri := protocol.DocumentURI("file://" + path)
	ch := c.watch(uri)
	c.open(uri, "c", src)
	c.wait(ch, nil)
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
	return c.wait(ch, func(p protocol.PublishDiagnosticsParams) bool {
		for _, d := range p.Diagnostics {
			if d.Source == "clang" {
				return true
			}
		}
		return false
	})
}

// TestSavesBounded saves ten files at once: no more compilers run at a
// time than the verifier's bound (counted by a stand-in clang that marks
// itself while it runs).
func TestSavesBounded(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Bpftool)
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "running"), 0o755)
	tool := filepath.Join(dir, "clang")
	script := "#!/bin/sh\nd=" + dir + "\ntouch $d/running/$$\nls $d/running | wc -l >> $d/counts\nsleep 0.1\nrm $d/running/$$\nexit 1\n"
	if err := os.WriteFile(tool, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KGENT_CLANG", tool)
	work := publicDir(t)
	c := newClient(t, 10*time.Millisecond)
	c.initWorkspace(work)
	var chans []chan protocol.PublishDiagnosticsParams
	var uris []protocol.DocumentURI
	for i := 0; i < 10; i++ {
		uri := protocol.DocumentURI(fmt.Sprintf("file://%s/p%d.bpf.c", work, i))
		ch := c.watch(uri)
		c.open(uri, "c", fmt.Sprintf("int x%d;\n", i))
		c.wait(ch, nil)
		chans, uris = append(chans, ch), append(uris, uri)
	}
	for _, uri := range uris {
		c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
	}
	for _, ch := range chans {
		c.wait(ch, func(p protocol.PublishDiagnosticsParams) bool { return len(p.Diagnostics) > 0 })
	}
	data, _ := os.ReadFile(filepath.Join(dir, "counts"))
	counts := strings.Fields(string(data))
	if len(counts) < 10 {
		t.Fatalf("%d compiles for 10 saves", len(counts))
	}
	most := 0
	for _, s := range counts {
		n, _ := strconv.Atoi(s)
		most = max(most, n)
	}
	if most > verify.DefaultParallel() {
		t.Errorf("%d compilers ran at once; the bound is %d", most, verify.DefaultParallel())
	}
}
