package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
)

func TestKBSearchCLI(t *testing.T) {
	t.Setenv("KGENT_INDEX_DIR", t.TempDir())
	t.Setenv("KGENT_EMBED_BASE_URL", "")
	t.Setenv("KGENT_EMBED_MODEL", "")
	code, out, errOut := runCLI(t, "kb", "search", "segments", "that", "tcp", "retransmits")
	if code != 0 || !strings.HasPrefix(out, "1. ") || !strings.Contains(strings.SplitN(out, "\n", 2)[0], "bt-tcp-retransmits") {
		t.Fatalf("search: %d %q %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "index: indexing") {
		t.Errorf("no progress while the index is built: %q", errOut)
	}
	// The second run loads the persisted index: no progress lines.
	code, out, errOut = runCLI(t, "kb", "search", "--lang", "c", "-n", "2", "--json", "files", "opened", "through", "a", "ring", "buffer")
	var res []struct {
		Kind, ID, Dialect string
		Score             float64
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || len(res) != 2 {
		t.Fatalf("json: %v %d %q", err, code, out)
	}
	if res[0].ID != "c-opensnoop-ringbuf" || res[0].Dialect != "c" || res[0].Score <= res[1].Score {
		t.Errorf("json results %+v", res)
	}
	if strings.Contains(errOut, "indexing") {
		t.Errorf("the persisted index was rebuilt: %q", errOut)
	}
	for _, args := range [][]string{
		{"kb", "search"},
		{"kb", "search", "--kind", "recipes", "tcp"},
		{"kb", "search", "--lang", "rust", "tcp"},
		{"kb", "search", "-n", "0", "tcp"},
		{"kb", "search", "show", "me", "all"},
		{"kb", "search", "--embed-url", "http://127.0.0.1:1/v1", "tcp"},
	} {
		if code, _, errOut := runCLI(t, args...); code != 2 || errOut == "" {
			t.Errorf("kgent %v: exit %d %q, want 2 with a message", args, code, errOut)
		}
	}
	if code, out, _ := runCLI(t, "kb", "search", "zzqx", "wobble"); code != 1 || !strings.Contains(out, "no examples match") {
		t.Errorf("nothing found: %d %q", code, out)
	}
}

func TestKBSearchSpecsCLI(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Tracefs)
	t.Setenv("KGENT_INDEX_DIR", t.TempDir())
	if os.Getenv("KGENT_KB_DIR") == "" {
		t.Setenv("KGENT_KB_DIR", t.TempDir())
	}
	code, out, errOut := runCLI(t, "kb", "search", "--kind", "tracepoints", "packets", "dropped")
	if code != 0 || !strings.Contains(strings.SplitN(out, "\n", 2)[0], "skb:kfree_skb") {
		t.Fatalf("tracepoints: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "kb", "search", "--kind", "functions", "-n", "3", "tcp_v4_connect")
	if code != 0 || !strings.Contains(strings.SplitN(out, "\n", 2)[0], " tcp_v4_connect") || !strings.Contains(out, "struct sock *sk") {
		t.Fatalf("functions: %d %q", code, out)
	}
}
