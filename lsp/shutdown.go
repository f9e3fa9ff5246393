package lsp

import (
	"context"

	"go.lsp.dev/jsonrpc2"
)

// shutdown stops analysis; only exit is accepted afterwards.
func init() {
	handlers["shutdown"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		s.mu.Lock()
		s.shutdown = true
		docs := s.docs
		s.mu.Unlock()
		for _, d := range docs {
			d.close()
		}
		return reply(ctx, nil, nil)
	}
}
