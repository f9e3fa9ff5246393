package lsp

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/pipeline"
)

// A result computed for a text the document no longer has is never
// published, nor one older than what was already published: the editor
// would show findings on lines that have since moved. The results are
// built by hand so each case is exactly the race it names (an analysis
// finishing after a newer change; two analyses finishing out of order).
func TestPublishDropsStaleResults(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := net.Pipe()
	got := make(chan protocol.PublishDiagnosticsParams, 16)
	client := jsonrpc2.NewConn(jsonrpc2.NewStream(b))
	client.Go(ctx, func(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		if req.Method() == "textDocument/publishDiagnostics" {
			var p protocol.PublishDiagnosticsParams
			if err := json.Unmarshal(req.Params(), &p); err != nil {
				t.Error(err)
			}
			got <- p
		}
		return reply(ctx, nil, nil)
	})
	conn := jsonrpc2.NewConn(jsonrpc2.NewStream(a))
	conn.Go(ctx, jsonrpc2.MethodNotFoundHandler)
	defer conn.Close()
	s := &server{conn: conn, connCtx: ctx, log: log.New(io.Discard, "", 0)}

	d := newDocument("file:///tmp/kgent-test/stale.bt", 1, "bpftrace", "BEGIN { a(); }\n")
	change := func(version int32, text string) {
		d.mu.Lock()
		d.version = version
		d.applyChangeLocked(nil, text)
		d.gen++
		d.mu.Unlock()
	}
	resultOf := func(msg string) *result {
		d.mu.Lock()
		defer d.mu.Unlock()
		return &result{gen: d.gen, Snapshot: &pipeline.Snapshot{Version: d.version, Text: d.text,
			Static: []analysis.Finding{analysis.New(analysis.KG201, analysis.Span{Start: 8, End: 9}, msg)}}}
	}
	r1 := resultOf("v1")
	change(2, "BEGIN { bb(); }\n")
	s.publish(d, r1) // analysed v1, finished after v2 arrived: dropped
	r2 := resultOf("v2")
	change(3, "BEGIN { ccc(); }\n")
	r3 := resultOf("v3")
	s.publish(d, r3)
	s.publish(d, r2) // finished after v3's result was published: dropped
	s.publish(d, r3) // the same result again is harmless
	var seen []string
	timeout := time.After(30 * time.Second)
	for len(seen) < 2 {
		select {
		case p := <-got:
			if len(p.Diagnostics) != 1 {
				t.Fatalf("publish of version %d: %+v", p.Version, p.Diagnostics)
			}
			seen = append(seen, p.Diagnostics[0].Message)
			if p.Diagnostics[0].Message != "v3" || p.Version != 3 {
				t.Fatalf("published %q as version %d; only v3 is current (publishes so far %v)", p.Diagnostics[0].Message, p.Version, seen)
			}
		case <-timeout:
			t.Fatalf("publishes %v", seen)
		}
	}
}
