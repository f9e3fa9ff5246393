package lsp

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/lsp/editor"
)

// rawServer runs the real server in-process and returns an editor
// connection speaking raw JSON to it, to pin the wire shape.
func rawServer(t *testing.T, opts Options) *editor.Conn {
	t.Helper()
	if opts.LoadKB == nil {
		opts.LoadKB = loadKB(t)
	}
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Serve(ctx, pipeRWC{Reader: sr, Writer: sw, closers: []io.Closer{sr, sw}}, opts)
	}()
	t.Cleanup(func() {
		cancel()
		cw.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("server did not stop")
		}
	})
	return editor.New(cr, cw)
}

func rawInit(t *testing.T, c *editor.Conn) {
	t.Helper()
	if _, err := c.Call("initialize", map[string]any{"capabilities": map[string]any{"window": map[string]any{"workDoneProgress": true}}, "initializationOptions": map[string]any{"kgent": map[string]any{"verifyOnSave": false}}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	c.Notify("initialized", map[string]any{})
}

func pos(line, char int) map[string]any { return map[string]any{"line": line, "character": char} }

func docID(uri string) map[string]any { return map[string]any{"uri": uri} }

// TestCancelRequest: a request blocked on the kb (which never loads in
// this test) is cancelled by $/cancelRequest with a numeric id, as
// editors send it: the reply is RequestCancelled (-32800), and the
// requests queued behind it run.
func TestCancelRequest(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c := rawServer(t, Options{Debounce: -1, KBWait: time.Minute, LoadKB: func(kb.Options) (*kb.KB, error) {
		<-release
		return nil, context.Canceled
	}})
	rawInit(t, c)
	uri := "file:///tmp/kgent-test/cancel.bt"
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "bpftrace", "version": 1, "text": "BEGIN { }\n"}})
	hover := map[string]any{"textDocument": docID(uri), "position": pos(0, 2)}
	id, _ := c.Request("textDocument/hover", hover)
	next, _ := c.Request("textDocument/foldingRange", map[string]any{"textDocument": docID(uri)})
	time.Sleep(50 * time.Millisecond)
	c.Notify("$/cancelRequest", map[string]any{"id": id})
	// The two replies may come in either order: the queued request starts
	// as soon as the cancelled one has replied, and can be written first.
	replies := map[string]editor.Message{}
	for len(replies) < 2 {
		m, err := c.Await(5*time.Second, func(m editor.Message) bool {
			return m.IsResponse() && (string(m.ID) == itoa(id) || string(m.ID) == itoa(next))
		})
		if err != nil {
			t.Fatalf("replies so far %+v: %v", replies, err)
		}
		replies[string(m.ID)] = m
	}
	if m := replies[itoa(id)]; m.Error == nil || m.Error.Code != -32800 {
		t.Fatalf("cancelled request answered %s %+v", m.Result, m.Error)
	}
	if m := replies[itoa(next)]; m.Error != nil {
		t.Fatalf("the request queued behind the cancelled one: %+v", m.Error)
	}
	// A string id is cancelled too.
	c.Raw([]byte(frame(`{"jsonrpc":"2.0","id":"h1","method":"textDocument/hover","params":` + mustJSON(hover) + `}`)))
	time.Sleep(50 * time.Millisecond)
	c.Notify("$/cancelRequest", map[string]any{"id": "h1"})
	m, err := c.Await(5*time.Second, func(m editor.Message) bool { return string(m.ID) == `"h1"` })
	if err != nil || m.Error == nil || m.Error.Code != -32800 {
		t.Fatalf("string id: %v %+v", err, m.Error)
	}
}

func frame(body string) string {
	return "Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestPanicRecovered: a panic in a handler is answered as an internal
// error and the server keeps serving.
func TestPanicRecovered(t *testing.T) {
	c := rawServer(t, Options{Debounce: -1, beforeHandle: func(method string) {
		if method == "textDocument/hover" {
			panic("injected")
		}
	}})
	rawInit(t, c)
	_, err := c.Call("textDocument/hover", map[string]any{"textDocument": docID("file:///x.bt"), "position": pos(0, 0)}, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "internal error") || !strings.Contains(err.Error(), "-32603") {
		t.Fatalf("panic answered %v", err)
	}
	if _, err := c.Call("textDocument/definition", map[string]any{"textDocument": docID("file:///x.bt"), "position": pos(0, 0)}, 5*time.Second); err != nil {
		t.Fatalf("server stopped serving after a panic: %v", err)
	}
}

// TestWireShapes pins what editors depend on: empty lists are [] (not
// null), close clears diagnostics with [], stale versions are ignored,
// unimplemented methods say so, shutdown refuses further requests.
func TestWireShapes(t *testing.T) {
	c := rawServer(t, Options{Debounce: -1})
	if _, err := c.Call("textDocument/hover", map[string]any{}, 5*time.Second); err == nil || !strings.Contains(err.Error(), "-32002") {
		t.Fatalf("before initialize: %v", err)
	}
	rawInit(t, c)
	uri := "file:///tmp/kgent-test/shapes.bt"
	for _, m := range []string{"textDocument/documentSymbol", "textDocument/foldingRange"} {
		res, err := c.Call(m, map[string]any{"textDocument": docID("file:///not/open.bt")}, 5*time.Second)
		if err != nil || string(res) != "[]" {
			t.Fatalf("%s on an unknown document: %s %v", m, res, err)
		}
	}
	res, err := c.Call("textDocument/codeAction", map[string]any{"textDocument": docID(uri), "range": map[string]any{"start": pos(0, 0), "end": pos(0, 0)}, "context": map[string]any{"diagnostics": []any{}}}, 5*time.Second)
	if err != nil || string(res) != "[]" {
		t.Fatalf("codeAction: %s %v", res, err)
	}
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "bpftrace", "version": 5, "text": "BEGIN { @x = log2(1); }\n"}})
	if d, err := c.AwaitDiagnostics(uri, 5, 10*time.Second); err != nil || len(d.Diagnostics) != 1 {
		t.Fatalf("open: %v %+v", err, d)
	}
	// Version 4 is older than the open's 5: ignored, nothing published.
	c.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 4}, "contentChanges": []any{map[string]any{"text": "BEGIN { }\n"}}})
	c.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 6}, "contentChanges": []any{
		map[string]any{"range": map[string]any{"start": pos(0, 13), "end": pos(0, 17)}, "text": "hist"}}})
	d, err := c.AwaitDiagnostics(uri, -1, 10*time.Second)
	if err != nil || *d.Version != 6 || len(d.Diagnostics) != 0 {
		t.Fatalf("after the stale change and the fix: %v %+v", err, d)
	}
	c.Notify("textDocument/didClose", map[string]any{"textDocument": docID(uri)})
	m, err := c.Await(10*time.Second, func(m editor.Message) bool { return m.Method == "textDocument/publishDiagnostics" })
	if err != nil || !strings.Contains(string(m.Params), `"diagnostics":[]`) {
		t.Fatalf("close: %v %s", err, m.Params)
	}
	if _, err := c.Call("textDocument/signatureHelp", map[string]any{}, 5*time.Second); err == nil || !strings.Contains(err.Error(), "not implemented") {
		t.Fatalf("signatureHelp: %v", err)
	}
	if _, err := c.Call("shutdown", nil, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call("textDocument/hover", map[string]any{}, 5*time.Second); err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Fatalf("after shutdown: %v", err)
	}
}

// TestNoProgressWithoutCapability: a client that does not announce
// window.workDoneProgress gets no progress tokens and no $/progress.
func TestNoProgressWithoutCapability(t *testing.T) {
	c := rawServer(t, Options{Debounce: -1})
	if _, err := c.Call("initialize", map[string]any{"capabilities": map[string]any{}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	c.Notify("initialized", map[string]any{})
	if _, err := c.Call("workspace/executeCommand", map[string]any{"command": "kgent.kb.rebuild"}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// The first load's status, then the rebuild's.
	if _, err := c.Await(10*time.Second, func(editor.Message) bool { return c.Count("kgent/status") >= 2 }); err != nil && c.Count("kgent/status") < 2 {
		t.Fatal(err)
	}
	if n, m := c.Count("window/workDoneProgress/create"), c.Count("$/progress"); n+m > 0 {
		t.Fatalf("%d progress creations and %d $/progress sent to a client without workDoneProgress", n, m)
	}
}

// stuckRWC's Close does not interrupt a blocked Read, like stdin.
type stuckRWC struct {
	io.Reader
	io.Writer
}

func (stuckRWC) Close() error { return nil }

// TestExit: exit ends Serve even when the input cannot be closed (stdin),
// with ErrExitWithoutShutdown when shutdown did not come first.
func TestExit(t *testing.T) {
	for _, shutdown := range []bool{true, false} {
		cr, sw := io.Pipe()
		sr, cw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			done <- Serve(context.Background(), stuckRWC{Reader: sr, Writer: sw}, Options{LoadKB: loadKB(t)})
		}()
		c := editor.New(cr, cw)
		if _, err := c.Call("initialize", map[string]any{"capabilities": map[string]any{}}, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if shutdown {
			if _, err := c.Call("shutdown", nil, 10*time.Second); err != nil {
				t.Fatal(err)
			}
		}
		c.Notify("exit", nil)
		select {
		case err := <-done:
			if shutdown && err != nil || !shutdown && err != ErrExitWithoutShutdown {
				t.Fatalf("shutdown %v: Serve returned %v", shutdown, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("shutdown %v: Serve did not return after exit", shutdown)
		}
		cw.Close()
		sw.Close()
	}
}

// TestDebounce: a burst of changes (an editor replaying edits, a paste)
// is analysed once more after it has been quiet for the debounce; only
// the change that starts the burst may be analysed before (at once).
func TestDebounce(t *testing.T) {
	const debounce = 300 * time.Millisecond
	c := rawServer(t, Options{Debounce: debounce})
	rawInit(t, c)
	uri := "file:///tmp/kgent-test/debounce.bt"
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "bpftrace", "version": 1, "text": "BEGIN { }\n"}})
	if _, err := c.AwaitDiagnostics(uri, 1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	var last time.Time
	for v := 2; v <= 6; v++ {
		c.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": v},
			"contentChanges": []any{map[string]any{"range": map[string]any{"start": pos(0, 8), "end": pos(0, 8)}, "text": "x"}}})
		last = time.Now()
	}
	var versions []int
	for {
		d, err := c.AwaitDiagnostics(uri, -1, 10*time.Second)
		if err != nil {
			t.Fatalf("published %v: %v", versions, err)
		}
		versions = append(versions, *d.Version)
		if *d.Version == 6 {
			break
		}
	}
	if waited := time.Since(last); waited < debounce {
		t.Fatalf("published %v after the last change, before the debounce", waited)
	}
	// The change that starts the burst is analysed at once: by then the
	// text may already be a later version of the burst.
	if len(versions) > 2 {
		t.Fatalf("published versions %v: only one analysis at the start of the burst and one after it", versions)
	}
}
