package mcp

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// rawSession speaks newline-delimited JSON-RPC to w and reads answers
// from r, as a client would over stdio.
// startRaw runs the server reading in (whose writing end is inW) and
// writing a pipe, opens the session with raw lines and returns it with
// the channel that receives Run's result.
func startRaw(t *testing.T, k *kb.KB, in io.Reader, inW io.Writer) (*rawSession, <-chan error) {
	outR, outW := io.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	// The hang guard: a request that never gets its answer ends the
	// session instead of the test waiting for ever.
	guard := time.AfterFunc(time.Minute, func() { outW.Close() })
	t.Cleanup(func() { guard.Stop() })
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Pipeline: pipeline.New(pipeline.Config{}, k), Version: "test"}, in, outW)
	}()
	sc := bufio.NewScanner(outR)
	sc.Buffer(nil, 64<<20)
	s := &rawSession{t: t, w: inW, r: sc}
	s.send(initLine)
	s.answer(1)
	s.send(`{"jsonrpc":"2.0","method":"notifications/initialized","params":{}}`)
	return s, done
}

type rawSession struct {
	t *testing.T
	w io.Writer
	r *bufio.Scanner
}

func (s *rawSession) send(line string) {
	s.t.Helper()
	if _, err := io.WriteString(s.w, line+"\n"); err != nil {
		s.t.Fatal(err)
	}
}

// answer reads until the response with id arrives.
func (s *rawSession) answer(id int) map[string]any {
	s.t.Helper()
	for s.r.Scan() {
		var m map[string]any
		if err := json.Unmarshal(s.r.Bytes(), &m); err != nil {
			s.t.Fatalf("server wrote %q", s.r.Text())
		}
		if v, ok := m["id"].(float64); ok && int(v) == id {
			return m
		}
	}
	s.t.Fatalf("no answer %d: %v", id, s.r.Err())
	return nil
}

const initLine = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// garbage is what a confused client might send; none of it may end the
// session.
var garbage = []string{
	"this is not json {",
	`{"foo": 1}`,
	"42",
	"[]",
	`{"jsonrpc":"1.0","id":9,"method":"tools/list"}`,
	"\x00\x01\x02",
	`{"jsonrpc":"2.0","id":`,
}

func TestRunSurvivesGarbage(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	inR, inW := io.Pipe()
	s, done := startRaw(t, k, inR, inW)
	for _, g := range garbage {
		s.send(g)
	}
	s.send(strings.Repeat("x", maxLine+10)) // overlong
	s.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"lookup_kernel","arguments":{"kind":"function","query":"tcp_v4_connect"}}}`)
	res := s.answer(2)["result"].(map[string]any)
	if res["isError"] == true || !strings.Contains(res["content"].([]any)[0].(map[string]any)["text"].(string), "int tcp_v4_connect(struct sock *sk") {
		t.Fatalf("%v", res)
	}
	// Invalid arguments are answered, not fatal.
	s.send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"check_program","arguments":{"source":[1,2]}}}`)
	if m := s.answer(3); m["error"] == nil && m["result"].(map[string]any)["isError"] != true {
		t.Fatalf("%v", m)
	}
	// End of input ends the session cleanly.
	inW.Close()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
