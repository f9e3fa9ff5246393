package lsp

import (
	"bytes"
	"log"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kgent/kgent/internal/fakellm"
	"go.lsp.dev/protocol"
)

const fakeKey = "sk-kgent-lsp-fake-key-5150-zyxwvuts"

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// authRecorder is an OpenAI-compatible endpoint on 127.0.0.1 recording
// the Authorization header of every request and echoing the key it got.
func authRecorder(t *testing.T) (*fakellm.Server, func() []string) {
	srv := fakellm.New(t, "```bpftrace\ntracepoint:sched:sched_switch\n{\n  @switches[args->prev_comm] = count(); // KEY\n}\n```", "It counts context switches per task name (KEY).")
	return srv, srv.Auths
}

// generateAll runs kgent.generate with llm.baseURL set to url in the
// settings and returns every message the server sent until the
// generation ended (its final showMessage), and the server's log.
func generateAll(t *testing.T, url string) (notes []note, logged string) {
	var logBuf lockedBuffer
	c := newClientOpts(t, Options{Debounce: 10 * time.Millisecond, Logger: log.New(&logBuf, "", 0)})
	var res map[string]any
	if err := c.call("initialize", map[string]any{"processId": os.Getpid(), "capabilities": map[string]any{"window": map[string]any{"workDoneProgress": true}},
		"initializationOptions": map[string]any{"kgent": map[string]any{"verifyOnSave": false, "llm": map[string]any{"provider": "openai", "baseURL": url, "model": "m"}}}}, &res); err != nil {
		t.Fatal(err)
	}
	c.notify("initialized", map[string]any{})
	uri := protocol.DocumentURI("file:///tmp/kgent-test/key.bt")
	ch := c.watch(uri)
	c.open(uri, "bpftrace", "// count context switches per task\n")
	c.wait(ch, nil)
	if err := c.call("workspace/executeCommand", map[string]any{"command": "kgent.generate", "arguments": []any{map[string]any{"uri": uri, "line": 0}}}, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(60 * time.Second)
	for {
		select {
		case n := <-c.notes:
			notes = append(notes, n)
			if n.method == "window/showMessage" && !strings.Contains(string(n.params), "KGENT_LLM_BASE_URL") {
				return notes, logBuf.String()
			}
		case <-deadline:
			t.Fatalf("generation did not end: %v", notes)
		}
	}
}

// The key from the environment goes only to the environment's endpoint:
// a llm.baseURL from the editor's settings naming another server gets no
// Authorization carrying it, and the user is warned (without the key).
// Nothing the server says or logs holds the key, even when the endpoint
// echoes it.
func TestSettingsEndpointGetsNoEnvKey(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", fakeKey)
	t.Setenv("KGENT_LLM_MODEL", "")

	// The environment names OpenAI's API; the settings name the fake.
	t.Setenv("KGENT_LLM_BASE_URL", "")
	srv, auths := authRecorder(t)
	notes, logged := generateAll(t, srv.URL+"/v1")
	got := auths()
	if len(got) == 0 {
		t.Fatal("the settings' endpoint was not asked")
	}
	for _, a := range got {
		if strings.Contains(a, fakeKey) {
			t.Fatalf("the environment's key reached the settings' endpoint: %q", a)
		}
	}
	warned := false
	all := logged
	for _, n := range notes {
		all += "\n" + n.method + " " + string(n.params)
		warned = warned || n.method == "window/showMessage" && strings.Contains(string(n.params), "KGENT_LLM_BASE_URL")
	}
	if !warned {
		t.Errorf("no warning that the key was withheld:\n%s", all)
	}
	if strings.Contains(all, fakeKey) {
		t.Fatalf("the key appears in the server's output:\n%s", all)
	}

	// The environment names the same endpoint: the key is sent, and
	// still appears nowhere in what the server says.
	srv2, auths2 := authRecorder(t)
	t.Setenv("KGENT_LLM_BASE_URL", srv2.URL+"/v1")
	notes, logged = generateAll(t, srv2.URL+"/v1")
	if got := auths2(); len(got) == 0 || got[0] != "Bearer "+fakeKey {
		t.Fatalf("the environment's own endpoint did not get the key: %q", got)
	}
	all = logged
	for _, n := range notes {
		all += "\n" + n.method + " " + string(n.params)
	}
	if strings.Contains(all, fakeKey) || strings.Contains(all, "KGENT_LLM_BASE_URL=") {
		t.Fatalf("the key (or a needless warning) appears in the server's output:\n%s", all)
	}
	if !strings.Contains(all, "workspace/applyEdit") {
		t.Fatalf("no program inserted:\n%s", all)
	}
}
