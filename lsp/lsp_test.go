package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

func loadKB(t testing.TB) func(kb.Options) (*kb.KB, error) {
	k := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	return func(kb.Options) (*kb.KB, error) { return k, nil }
}

// client is a small LSP client over pipes for driving the real server.
type client struct {
	t     testing.TB
	conn  jsonrpc2.Conn
	mu    sync.Mutex
	diags map[protocol.DocumentURI][]chan protocol.PublishDiagnosticsParams
	notes chan note
	raw   io.Writer
	done  chan struct{}
	// config answers workspace/configuration.
	config any
}

type note struct {
	method string
	params json.RawMessage
}

type pipeRWC struct {
	io.Reader
	io.Writer
	closers []io.Closer
}

func (p pipeRWC) Close() error {
	for _, c := range p.closers {
		c.Close()
	}
	return nil
}

func newClient(t testing.TB, debounce time.Duration) *client {
	t.Helper()
	return newClientOpts(t, Options{Debounce: debounce})
}

// newClientOpts is newClient with the server's options (LoadKB, when
// not set, serves the host kb).
func newClientOpts(t testing.TB, opts Options) *client {
	t.Helper()
	if opts.LoadKB == nil {
		opts.LoadKB = loadKB(t)
	}
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	c := &client{t: t, diags: map[protocol.DocumentURI][]chan protocol.PublishDiagnosticsParams{}, notes: make(chan note, 1000), raw: cw, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		Serve(ctx, pipeRWC{Reader: sr, Writer: sw, closers: []io.Closer{sr, sw}}, opts)
	}()
	c.conn = jsonrpc2.NewConn(jsonrpc2.NewStream(pipeRWC{Reader: cr, Writer: cw, closers: []io.Closer{cr, cw}}))
	c.conn.Go(ctx, func(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		if req.Method() == "textDocument/publishDiagnostics" {
			var p protocol.PublishDiagnosticsParams
			json.Unmarshal(req.Params(), &p)
			c.mu.Lock()
			for _, ch := range c.diags[p.URI] {
				select {
				case ch <- p:
				default:
				}
			}
			c.mu.Unlock()
		}
		select {
		case c.notes <- note{req.Method(), req.Params()}:
		default:
		}
		// Errors are not returned: jsonrpc2 v0.10 fails the connection on
		// a handler error and panics when it fails a second time with an
		// error of another type (a failed reply, then the closed stream).
		if _, isCall := req.(*jsonrpc2.Call); isCall {
			var result any
			if req.Method() == "workspace/configuration" {
				c.mu.Lock()
				result = []any{c.config}
				c.mu.Unlock()
			}
			_ = reply(ctx, result, nil)
		}
		return nil
	})
	t.Cleanup(func() {
		c.conn.Close()
		cancel()
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
			t.Error("server did not stop")
		}
	})
	return c
}

func (c *client) call(method string, params, result any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.conn.Call(ctx, method, params, result)
	return err
}

func (c *client) notify(method string, params any) {
	if err := c.conn.Notify(context.Background(), method, params); err != nil {
		c.t.Fatal(err)
	}
}

// watch returns a channel that receives the diagnostics published for uri.
func (c *client) watch(uri protocol.DocumentURI) chan protocol.PublishDiagnosticsParams {
	ch := make(chan protocol.PublishDiagnosticsParams, 100)
	c.mu.Lock()
	c.diags[uri] = append(c.diags[uri], ch)
	c.mu.Unlock()
	return ch
}

func (c *client) wait(ch chan protocol.PublishDiagnosticsParams, pred func(protocol.PublishDiagnosticsParams) bool) protocol.PublishDiagnosticsParams {
	c.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case p := <-ch:
			if pred == nil || pred(p) {
				return p
			}
		case <-timeout:
			c.t.Fatal("timed out waiting for diagnostics")
		}
	}
}

// waitEdit waits for the server's workspace/applyEdit and returns it with
// the $/progress notifications seen before it.
func (c *client) waitEdit() (string, []string) {
	c.t.Helper()
	deadline := time.After(60 * time.Second)
	var progress []string
	for {
		select {
		case n := <-c.notes:
			switch n.method {
			case "workspace/applyEdit":
				return string(n.params), progress
			case "$/progress":
				progress = append(progress, string(n.params))
			}
		case <-deadline:
			c.t.Fatalf("no applyEdit; progress %v", progress)
		}
	}
}

func (c *client) initialize() {
	c.t.Helper()
	var res map[string]any
	if err := c.call("initialize", map[string]any{"processId": os.Getpid(), "rootUri": "file:///tmp", "capabilities": map[string]any{"window": map[string]any{"workDoneProgress": true}},
		"initializationOptions": map[string]any{"kgent": map[string]any{"verifyOnSave": false}}}, &res); err != nil {
		c.t.Fatal(err)
	}
	caps := res["capabilities"].(map[string]any)
	if caps["hoverProvider"] != true || caps["positionEncoding"] != "utf-16" {
		c.t.Fatalf("capabilities %v", caps)
	}
	c.notify("initialized", map[string]any{})
}

func (c *client) open(uri protocol.DocumentURI, lang, text string) {
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": lang, "version": 1, "text": text}})
}

func codes(ds []protocol.Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprint(d.Code))
	}
	return out
}

const btSource = "// 中文注释 😀 with\ttabs\ntracepoint:syscalls:sys_enter_openat { @x[comm] = count(); }\n// next line\n/* 中文😀\t*/ tracepoint:syscalls:sys_enter_opnat { @y = log2(1); }\n"

func TestSessionBpftrace(t *testing.T) {
	c := newClient(t, 10*time.Millisecond)
	c.initialize()
	uri := protocol.DocumentURI("file:///tmp/kgent-test/demo.bt")
	ch := c.watch(uri)
	c.open(uri, "bpftrace", btSource)
	p := c.wait(ch, nil)
	got := codes(p.Diagnostics)
	if len(got) != 2 || got[0] != "KG304" || got[1] != "KG201" {
		t.Fatalf("diagnostics %v", got)
	}
	// UTF-16 range of syscalls:sys_enter_opnat on line 3: "/* 中文😀\t*/ " is
	// 3+1+1+2+1+2+1 = 11 units, "tracepoint:" 11 more.
	r := p.Diagnostics[0].Range
	if r.Start.Line != 3 || r.Start.Character != 22 || r.End.Character != 46 {
		t.Fatalf("range %+v", r)
	}
	if p.Diagnostics[0].CodeDescription == nil || !strings.Contains(string(p.Diagnostics[0].CodeDescription.Href), "kg304") {
		t.Fatalf("code description %+v", p.Diagnostics[0].CodeDescription)
	}

	// Hover on a bpftrace function and on a tracepoint.
	var h protocol.Hover
	if err := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": 1, "character": 50}}, &h); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.Contents.Value, "count") {
		t.Fatalf("hover %q", h.Contents.Value)
	}
	if err := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": 1, "character": 25}}, &h); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.Contents.Value, "filename") {
		t.Fatalf("tracepoint hover %q", h.Contents.Value)
	}

	// Quick fix for the tracepoint, applied as the editor would.
	var actions []protocol.CodeAction
	if err := c.call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": uri}, "range": r, "context": map[string]any{"diagnostics": []any{}}}, &actions); err != nil {
		t.Fatal(err)
	}
	if len(actions) == 0 || actions[0].Edit == nil {
		t.Fatalf("no quick fix: %+v", actions)
	}
	edit := actions[0].Edit.Changes[uri][0]
	if edit.NewText != "syscalls:sys_enter_openat" {
		t.Fatalf("edit %+v", edit)
	}
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2},
		"contentChanges": []any{map[string]any{"range": edit.Range, "text": edit.NewText}}})
	p = c.wait(ch, func(p protocol.PublishDiagnosticsParams) bool { return p.Version == 2 })
	if got := codes(p.Diagnostics); len(got) != 1 || got[0] != "KG201" {
		t.Fatalf("after the fix: %v", got)
	}

	// Completion of tracepoint names and of args fields.
	var list protocol.CompletionList
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 3},
		"contentChanges": []any{map[string]any{"text": "tracepoint:syscalls:sys_enter_op"}}})
	if err := c.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": 0, "character": 32}}, &list); err != nil {
		t.Fatal(err)
	}
	if !hasLabel(list.Items, "sys_enter_openat") {
		t.Fatalf("completion %v", labels(list.Items))
	}
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 4},
		"contentChanges": []any{map[string]any{"text": "tracepoint:syscalls:sys_enter_openat { printf(\"%s\", str(args->fi"}}})
	if err := c.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": 0, "character": 63}}, &list); err != nil {
		t.Fatal(err)
	}
	if !hasLabel(list.Items, "filename") {
		t.Fatalf("args completion %v", labels(list.Items))
	}
}

func hasLabel(items []protocol.CompletionItem, l string) bool {
	for _, it := range items {
		if it.Label == l {
			return true
		}
	}
	return false
}

func labels(items []protocol.CompletionItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Label)
	}
	return out
}

const cSource = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tp/sched/sched_switch")
int on_switch(void *ctx)
{
	/* 中文 😀 */ u64 id = bpf_get_current_pid();
	return id;
}

char LICENSE[] SEC("license") = "GPL";
`

func TestSessionC(t *testing.T) {
	c := newClient(t, 10*time.Millisecond)
	c.initialize()
	uri := protocol.DocumentURI("file:///tmp/kgent-test/prog.bpf.c")
	ch := c.watch(uri)
	c.open(uri, "c", cSource)
	p := c.wait(ch, nil)
	if got := codes(p.Diagnostics); len(got) != 1 || got[0] != "KG201" {
		t.Fatalf("diagnostics %v", got)
	}
	r := p.Diagnostics[0].Range
	// "\t/* 中文 😀 */ u64 id = " is 1+3+2+1+2+3+4+3+2 = 22 UTF-16 units.
	if r.Start.Line != 13 || r.Start.Character != 22 {
		t.Fatalf("range %+v", r)
	}
	var h protocol.Hover
	if err := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": 8, "character": 3}}, &h); err == nil && h.Contents.Value != "" {
		// "counts" is not a kernel name: no hover expected there.
		t.Fatalf("unexpected hover %q", h.Contents.Value)
	}
	var actions []protocol.CodeAction
	if err := c.call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": uri}, "range": r, "context": map[string]any{"diagnostics": []any{}}}, &actions); err != nil || len(actions) == 0 {
		t.Fatalf("code actions %v %+v", err, actions)
	}
	edit := actions[0].Edit.Changes[uri][0]
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2},
		"contentChanges": []any{map[string]any{"range": edit.Range, "text": edit.NewText}}})
	p = c.wait(ch, func(p protocol.PublishDiagnosticsParams) bool { return p.Version == 2 })
	if len(p.Diagnostics) != 0 {
		t.Fatalf("after the fix: %v", codes(p.Diagnostics))
	}
	// Hover on the fixed helper shows its prototype and header docs.
	if err := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": 13, "character": 25}}, &h); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.Contents.Value, "bpf_get_current_pid_tgid") || !strings.Contains(h.Contents.Value, "u64") {
		t.Fatalf("hover %q", h.Contents.Value)
	}
	var syms []protocol.DocumentSymbol
	if err := c.call("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": uri}}, &syms); err != nil {
		t.Fatal(err)
	}
	if len(syms) != 2 || syms[0].Name != "on_switch" || syms[1].Name != "counts" {
		t.Fatalf("symbols %+v", syms)
	}
	var locs []protocol.Location
	if err := c.call("textDocument/definition", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": 8, "character": 3}}, &locs); err != nil || len(locs) != 1 || locs[0].Range.Start.Line != 8 {
		t.Fatalf("definition %v %+v", err, locs)
	}
	// Completion after SEC("tp/sched/ offers tracepoints of the category.
	var list protocol.CompletionList
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 3},
		"contentChanges": []any{map[string]any{"text": "SEC(\"tp/sched/sched_sw"}}})
	if err := c.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": 0, "character": 22}}, &list); err != nil || !hasLabel(list.Items, "sched_switch") {
		t.Fatalf("SEC completion %v %v", err, labels(list.Items))
	}
}

// TestChangeStorm sends thousands of edits without waiting: the server
// coalesces them and publishes the final state.
func TestChangeStorm(t *testing.T) {
	c := newClient(t, 50*time.Millisecond)
	c.initialize()
	uri := protocol.DocumentURI("file:///tmp/kgent-test/storm.bt")
	// Every publish of the storm is kept (watch's channel drops past 100).
	ch := make(chan protocol.PublishDiagnosticsParams, 10000)
	c.mu.Lock()
	c.diags[uri] = append(c.diags[uri], ch)
	c.mu.Unlock()
	c.open(uri, "bpftrace", "BEGIN { }\n")
	c.wait(ch, nil)
	const n = 3000
	for i := 2; i <= n; i++ {
		c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": i},
			"contentChanges": []any{map[string]any{"range": map[string]any{"start": map[string]any{"line": 0, "character": 7}, "end": map[string]any{"line": 0, "character": 7}}, "text": "x"}}})
	}
	// Count every publish up to the last version's: a server that
	// analyses and publishes each change sends thousands; coalescing
	// sends one per quiet moment of 50 ms in the storm.
	var versions []uint32
	timeout := time.After(60 * time.Second)
	for len(versions) == 0 || versions[len(versions)-1] != n {
		select {
		case p := <-ch:
			if len(versions) > 0 && p.Version < versions[len(versions)-1] {
				t.Fatalf("version %d published after %d", p.Version, versions[len(versions)-1])
			}
			versions = append(versions, p.Version)
			if p.Version == n && len(codes(p.Diagnostics)) == 0 {
				t.Fatalf("final diagnostics %v", codes(p.Diagnostics))
			}
		case <-timeout:
			t.Fatalf("no publish of version %d; published %v", n, versions)
		}
	}
	if len(versions) > n/30 {
		t.Fatalf("%d publishes for %d changes: edits were not coalesced", len(versions), n)
	}
}

func TestBadInput(t *testing.T) {
	c := newClient(t, 0)
	// Requests before initialize are refused with the LSP error code.
	err := c.call("textDocument/hover", map[string]any{}, nil)
	if err == nil || !strings.Contains(err.Error(), "not initialized") {
		t.Fatalf("before initialize: %v", err)
	}
	c.initialize()
	// Unknown method.
	if err := c.call("kgent/nope", map[string]any{}, nil); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("unknown method: %v", err)
	}
	// Invalid params.
	if err := c.call("textDocument/hover", []int{1, 2}, nil); err == nil {
		t.Fatal("invalid params accepted")
	}
	// Hover on an unknown document answers null.
	var h *protocol.Hover
	if err := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": "file:///nope.bt"}, "position": map[string]any{"line": 0, "character": 0}}, &h); err != nil || h != nil {
		t.Fatalf("unknown uri: %v %v", err, h)
	}
	// Binary content and invalid UTF-8 and a 10 MB document.
	bin := protocol.DocumentURI("file:///tmp/kgent-test/bin.bt")
	ch := c.watch(bin)
	c.open(bin, "bpftrace", "\x00\x01\x02\xff")
	p := c.wait(ch, nil)
	// Not a program, so no finding about it: the user is told once, in
	// the log, why kgent does not check it.
	if len(p.Diagnostics) != 0 {
		t.Fatalf("binary: %+v", p.Diagnostics)
	}
	for told := false; !told; {
		select {
		case n := <-c.notes:
			told = n.method == "window/logMessage" && strings.Contains(string(n.params), "binary")
		case <-time.After(30 * time.Second):
			t.Fatal("nothing said why the binary document is not checked")
		}
	}
	bad := protocol.DocumentURI("file:///tmp/kgent-test/bad.bt")
	ch = c.watch(bad)
	c.open(bad, "bpftrace", "BEGIN { printf(\"\xff\xfe\"); }\n")
	c.wait(ch, nil)
	big := protocol.DocumentURI("file:///tmp/kgent-test/big.bt")
	ch = c.watch(big)
	c.open(big, "bpftrace", strings.Repeat("// padding line for a large document\n", 10<<20/37)+"BEGIN { @x = log2(1); }\n")
	p = c.wait(ch, nil)
	if got := codes(p.Diagnostics); len(got) != 1 || got[0] != "KG201" {
		t.Fatalf("big document: %v", got)
	}
	// Garbage on the wire: the server ignores it and keeps serving.
	io.WriteString(c.raw, "Content-Length: 12\r\n\r\n{not json!!}")
	io.WriteString(c.raw, "garbage line\r\nContent-Length: 2\r\n\r\n[]")
	var res any
	if err := c.call("shutdown", nil, &res); err != nil {
		t.Fatalf("server stopped serving after garbage: %v", err)
	}
}

// TestVerifyOnSave: the settings come from workspace/configuration (pulled
// by the server), and a save runs the real compiler and verifier with
// progress notifications; the verifier's finding lands on its line.
func TestVerifyOnSave(t *testing.T) {
	testenv.Require(t, testenv.BPF, testenv.Clang, testenv.Bpftool)
	c := newClient(t, 10*time.Millisecond)
	c.config = map[string]any{"verifyOnSave": true}
	var res map[string]any
	if err := c.call("initialize", map[string]any{"processId": os.Getpid(), "capabilities": map[string]any{"workspace": map[string]any{"configuration": true}, "window": map[string]any{"workDoneProgress": true}}}, &res); err != nil {
		t.Fatal(err)
	}
	c.notify("initialized", map[string]any{})
	uri := protocol.DocumentURI("file:///tmp/kgent-test/null.bpf.c")
	ch := c.watch(uri)
	// Rejected by the verifier only: the bounds check lets idx reach 64.
	src := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n\nstruct slot {\n\tchar buf[64];\n};\n\nstruct {\n\t__uint(type, BPF_MAP_TYPE_ARRAY);\n\t__uint(max_entries, 1);\n\t__type(key, u32);\n\t__type(value, struct slot);\n} slots SEC(\".maps\");\n\nSEC(\"tracepoint/syscalls/sys_enter_openat\")\nint mark(void *ctx)\n{\n\tu32 zero = 0;\n\tstruct slot *s = bpf_map_lookup_elem(&slots, &zero);\n\tif (!s)\n\t\treturn 0;\n\tu32 idx = bpf_get_prandom_u32();\n\tif (idx > 64) // one too many: the index must stay below 64\n\t\treturn 0;\n\ts->buf[idx] = 1;\n\treturn 0;\n}\n"
	c.open(uri, "c", src)
	if p := c.wait(ch, nil); len(p.Diagnostics) != 0 {
		t.Fatalf("static findings on a program only the verifier rejects: %v", codes(p.Diagnostics))
	}
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
	p := c.wait(ch, func(p protocol.PublishDiagnosticsParams) bool { return len(p.Diagnostics) > 0 })
	d := p.Diagnostics[0]
	if d.Code != "KG602" || d.Source != "verifier" || d.Range.Start.Line != 26 || !strings.Contains(d.Message, "bounds check") {
		t.Fatalf("verification diagnostic %+v", d)
	}
	// An edit above the rejected line keeps the verifier's finding, moved
	// with its line, until the next save.
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2},
		"contentChanges": []any{map[string]any{"range": map[string]any{"start": map[string]any{"line": 0, "character": 0}, "end": map[string]any{"line": 0, "character": 0}}, "text": "// 中文 😀\n"}}})
	p = c.wait(ch, func(p protocol.PublishDiagnosticsParams) bool { return p.Version == 2 })
	if len(p.Diagnostics) != 1 || p.Diagnostics[0].Code != "KG602" || p.Diagnostics[0].Range.Start.Line != 27 {
		t.Fatalf("after an edit above: %+v", p.Diagnostics)
	}
	// An edit on the rejected line itself drops it: it is about text that
	// no longer exists.
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 3},
		"contentChanges": []any{map[string]any{"range": map[string]any{"start": map[string]any{"line": 27, "character": 0}, "end": map[string]any{"line": 27, "character": 17}}, "text": "\ts->buf[idx & 63] = 1;"}}})
	p = c.wait(ch, func(p protocol.PublishDiagnosticsParams) bool { return p.Version == 3 })
	if len(p.Diagnostics) != 0 {
		t.Fatalf("after editing the rejected line: %+v", p.Diagnostics)
	}
	begin, end, pulled := false, false, false
	for len(c.notes) > 0 {
		n := <-c.notes
		pulled = pulled || n.method == "workspace/configuration"
		if n.method == "$/progress" {
			begin = begin || strings.Contains(string(n.params), `"begin"`)
			end = end || strings.Contains(string(n.params), `"end"`)
		}
	}
	if !begin || !end || !pulled {
		t.Fatalf("progress begin %v end %v; configuration pulled %v", begin, end, pulled)
	}
}

// TestGenerateFromComment: the code action appears on an intent comment,
// the command reports progress and inserts the program after the comment
// through workspace/applyEdit.
func TestGenerateFromComment(t *testing.T) {
	t.Setenv("KGENT_LLM_BASE_URL", "")
	t.Setenv("OPENAI_API_KEY", "")
	c := newClient(t, 10*time.Millisecond)
	c.initialize()
	uri := protocol.DocumentURI("file:///tmp/kgent-test/gen.bt")
	ch := c.watch(uri)
	text := "// count context switches per task\n"
	c.open(uri, "bpftrace", text)
	c.wait(ch, nil)
	var actions []protocol.CodeAction
	if err := c.call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": uri},
		"range": map[string]any{"start": map[string]any{"line": 0, "character": 3}, "end": map[string]any{"line": 0, "character": 3}}, "context": map[string]any{"diagnostics": []any{}}}, &actions); err != nil {
		t.Fatal(err)
	}
	var gen *protocol.CodeAction
	for i := range actions {
		if actions[i].Title == "Generate eBPF program from comment" {
			gen = &actions[i]
		}
	}
	if gen == nil || gen.Command == nil {
		t.Fatalf("no generate action: %+v", actions)
	}
	if err := c.call("workspace/executeCommand", map[string]any{"command": gen.Command.Command, "arguments": gen.Command.Arguments}, nil); err != nil {
		t.Fatal(err)
	}
	edit, progress := c.waitEdit()
	var p protocol.ApplyWorkspaceEditParams
	json.Unmarshal([]byte(edit), &p)
	te := p.Edit.DocumentChanges[0].Edits[0]
	if te.Range.Start.Line != 1 || !strings.Contains(te.NewText, "sched_switch") {
		t.Fatalf("edit %+v", te)
	}
	if len(progress) == 0 || !strings.Contains(strings.Join(progress, " "), "begin") {
		t.Fatalf("progress %v", progress)
	}
	// No action on a line that is not an intent comment.
	actions = nil
	c.call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": uri},
		"range": map[string]any{"start": map[string]any{"line": 1, "character": 0}, "end": map[string]any{"line": 1, "character": 0}}, "context": map[string]any{"diagnostics": []any{}}}, &actions)
	if len(actions) != 0 {
		t.Fatalf("actions on an empty line: %+v", actions)
	}
}

// TestGenerateWithEndpoint drives the code action end to end with an
// OpenAI-compatible endpoint (an in-process fake with scripted replies,
// through the real go-openai client): progress names the provider and the
// checked program is inserted after the comment.
func TestGenerateWithEndpoint(t *testing.T) {
	program := "tracepoint:sched:sched_switch\n{\n  @switches[args->prev_comm] = count();\n}\n"
	replies := []string{"```bpftrace\n" + program + "```", "It counts context switches per task name."}
	var mu sync.Mutex
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		content := "no more"
		if len(replies) > 0 {
			content, replies = replies[0], replies[1:]
		}
		mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "model": "m",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
	}))
	defer fake.Close()
	t.Setenv("OPENAI_API_KEY", "sk-test")
	c := newClient(t, 10*time.Millisecond)
	var res map[string]any
	if err := c.call("initialize", map[string]any{"processId": os.Getpid(), "capabilities": map[string]any{"window": map[string]any{"workDoneProgress": true}},
		"initializationOptions": map[string]any{"kgent": map[string]any{"verifyOnSave": false, "llm": map[string]any{"provider": "openai", "baseURL": fake.URL + "/v1", "model": "m"}}}}, &res); err != nil {
		t.Fatal(err)
	}
	c.notify("initialized", map[string]any{})
	uri := protocol.DocumentURI("file:///tmp/kgent-test/gen2.bt")
	ch := c.watch(uri)
	c.open(uri, "bpftrace", "// count context switches per task\n")
	c.wait(ch, nil)
	if err := c.call("workspace/executeCommand", map[string]any{"command": "kgent.generate", "arguments": []any{map[string]any{"uri": uri, "line": 0}}}, nil); err != nil {
		t.Fatal(err)
	}
	edit, progress := c.waitEdit()
	if !strings.Contains(edit, "@switches[args") || !strings.Contains(edit, "prev_comm") {
		t.Fatalf("edit %s", edit)
	}
	all := strings.Join(progress, " ")
	if !strings.Contains(all, "asking openai") || !strings.Contains(all, "attempt 1") {
		t.Fatalf("progress %v", progress)
	}
}

// TestGenerateCancel: window/workDoneProgress/cancel stops a generation
// that waits on a slow endpoint; nothing is inserted.
func TestGenerateCancel(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(20 * time.Second):
		}
	}))
	defer fake.Close()
	t.Setenv("OPENAI_API_KEY", "sk-test")
	c := newClient(t, 10*time.Millisecond)
	var res map[string]any
	if err := c.call("initialize", map[string]any{"processId": os.Getpid(), "capabilities": map[string]any{"window": map[string]any{"workDoneProgress": true}},
		"initializationOptions": map[string]any{"kgent": map[string]any{"llm": map[string]any{"provider": "openai", "baseURL": fake.URL + "/v1", "model": "m"}}}}, &res); err != nil {
		t.Fatal(err)
	}
	c.notify("initialized", map[string]any{})
	uri := protocol.DocumentURI("file:///tmp/kgent-test/gen3.bt")
	ch := c.watch(uri)
	c.open(uri, "bpftrace", "// count context switches per task\n")
	c.wait(ch, nil)
	if err := c.call("workspace/executeCommand", map[string]any{"command": "kgent.generate", "arguments": []any{map[string]any{"uri": uri, "line": 0}}}, nil); err != nil {
		t.Fatal(err)
	}
	var token json.RawMessage
	deadline := time.After(30 * time.Second)
	for token == nil {
		select {
		case n := <-c.notes:
			if n.method == "$/progress" && strings.Contains(string(n.params), "begin") {
				var p struct {
					Token json.RawMessage `json:"token"`
				}
				json.Unmarshal(n.params, &p)
				token = p.Token
			}
		case <-deadline:
			t.Fatal("no progress")
		}
	}
	t0 := time.Now()
	c.notify("window/workDoneProgress/cancel", map[string]any{"token": token})
	for {
		select {
		case n := <-c.notes:
			if n.method == "workspace/applyEdit" {
				t.Fatal("inserted after cancel")
			}
			if n.method == "$/progress" && strings.Contains(string(n.params), `"end"`) {
				if time.Since(t0) > 10*time.Second {
					t.Fatal("cancel took too long")
				}
				return
			}
		case <-time.After(15 * time.Second):
			t.Fatal("generation did not stop")
		}
	}
}

// A change after a pause is analysed at once, whatever the debounce: the
// debounce (here 5 s) applies only inside bursts of changes.
func TestEditAfterPauseIsImmediate(t *testing.T) {
	c := newClient(t, 5*time.Second)
	c.initialize()
	uri := protocol.DocumentURI("file:///tmp/kgent-test/pause.bt")
	ch := c.watch(uri)
	c.open(uri, "bpftrace", "BEGIN { }\n")
	c.wait(ch, nil)
	for v := 2; v <= 4; v++ {
		time.Sleep(100 * time.Millisecond) // a pause between keystrokes
		c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": v},
			"contentChanges": []any{map[string]any{"text": "BEGIN { pidd" + strings.Repeat("d", v) + " }\n"}}})
		select {
		case p := <-ch:
			if p.Version != uint32(v) || len(p.Diagnostics) == 0 {
				t.Fatalf("version %d: published version %d %v", v, p.Version, codes(p.Diagnostics))
			}
		case <-time.After(2500 * time.Millisecond):
			t.Fatalf("version %d waited for the 5 s debounce", v)
		}
	}
}
