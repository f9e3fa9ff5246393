package lsp

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/lsp/editor"
)

// TestCompletionResolve: helper items carry a reference, and
// completionItem/resolve adds the prototype and the installed headers'
// description; folding ranges keep the closing brace visible.
func TestCompletionResolve(t *testing.T) {
	testenv.Require(t, testenv.Headers)
	c := rawServer(t, Options{Debounce: -1})
	rawInit(t, c)
	uri := "file:///tmp/kgent-test/resolve.bpf.c"
	text := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\nSEC(\"tp/sched/sched_switch\")\nint f(void *ctx)\n{\n\tbpf_map_lookup_e\n\treturn 0;\n}\n"
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "c", "version": 1, "text": text}})
	res, err := c.Call("textDocument/completion", map[string]any{"textDocument": docID(uri), "position": pos(5, 17)}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	json.Unmarshal(res, &list)
	var item map[string]any
	for _, it := range list.Items {
		if it["label"] == "bpf_map_lookup_elem" {
			item = it
		}
	}
	if item == nil || item["data"] == nil {
		t.Fatalf("no bpf_map_lookup_elem item with data: %s", res)
	}
	res, err = c.Call("completionItem/resolve", item, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var resolved struct {
		Label         string `json:"label"`
		Documentation struct {
			Value string `json:"value"`
		} `json:"documentation"`
	}
	json.Unmarshal(res, &resolved)
	if resolved.Label != "bpf_map_lookup_elem" || !strings.Contains(resolved.Documentation.Value, "bpf_map_lookup_elem(") || !strings.Contains(resolved.Documentation.Value, "lookup") {
		t.Fatalf("resolved %s", res)
	}
	res, err = c.Call("textDocument/foldingRange", map[string]any{"textDocument": docID(uri)}, 10*time.Second)
	if err != nil || !strings.Contains(string(res), `"startLine":4`) || !strings.Contains(string(res), `"endLine":6`) {
		t.Fatalf("folding %s %v", res, err)
	}
}

// TestKBReload: a settings change that names another kb reloads it (the
// flag-less server follows the editor's kbDir), re-checks the open
// documents and reports kgent/status; kgent.kb.rebuild rebuilds with
// progress.
func TestKBReload(t *testing.T) {
	host := testenv.HostKB(t, testenv.Tracefs)
	var mu sync.Mutex
	var loads []kb.Options
	c := rawServer(t, Options{Debounce: -1, LoadKB: func(o kb.Options) (*kb.KB, error) {
		mu.Lock()
		loads = append(loads, o)
		mu.Unlock()
		return host, nil
	}})
	rawInit(t, c)
	uri := "file:///tmp/kgent-test/reload.bt"
	// Every message is looked at by one predicate that counts statuses, so
	// the order of the first status and the first diagnostics does not
	// matter.
	statuses, published := 0, 0
	seen := func(m editor.Message) {
		if m.Method == "kgent/status" && strings.Contains(string(m.Params), `"kernel"`) {
			statuses++
		}
		if m.Method == "textDocument/publishDiagnostics" && strings.Contains(string(m.Params), uri) {
			published++
		}
	}
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "bpftrace", "version": 1, "text": "BEGIN { @x = count(); }\n"}})
	if _, err := c.Await(10*time.Second, func(m editor.Message) bool { seen(m); return published == 1 }); err != nil {
		t.Fatal(err)
	}
	// The first load's status may have been read while initializing:
	// count the reload's own status from here.
	statuses = 0
	c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"kgent": map[string]any{"kbDir": "/tmp/kgent-test/other-kb"}}})
	if _, err := c.Await(10*time.Second, func(m editor.Message) bool { seen(m); return statuses >= 1 && published >= 2 }); err != nil {
		t.Fatalf("after the settings change: %d statuses, %d publishes: %v", statuses, published, err)
	}
	mu.Lock()
	if len(loads) != 2 || loads[1].Dir != "/tmp/kgent-test/other-kb" {
		t.Fatalf("loads %+v", loads)
	}
	mu.Unlock()
	if _, err := c.Call("workspace/executeCommand", map[string]any{"command": "kgent.kb.rebuild"}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Await(10*time.Second, func(m editor.Message) bool {
		return m.Method == "$/progress" && strings.Contains(string(m.Params), `"end"`) && strings.Contains(string(m.Params), "rebuilt")
	}); err != nil {
		t.Fatalf("no progress end for the rebuild: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(loads) != 3 || !loads[2].Rebuild || loads[2].Dir != "/tmp/kgent-test/other-kb" {
		t.Fatalf("loads %+v", loads)
	}
}
