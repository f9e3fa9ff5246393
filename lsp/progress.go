package lsp

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"go.lsp.dev/protocol"
)

var progressSeq atomic.Int64

// newProgress creates a work-done progress token with the client, or
// returns nil when the client does not support progress or refused the
// token (then progress is not reported: LSP forbids $/progress on a token
// the client did not create). ProgressToken marshals through its pointer,
// hence pointers throughout.
func (s *server) newProgress(kind string) *protocol.ProgressToken {
	s.mu.Lock()
	can := s.canProgress
	s.mu.Unlock()
	if !can {
		return nil
	}
	token := protocol.NewProgressToken(fmt.Sprintf("kgent-%s-%d", kind, progressSeq.Add(1)))
	ctx, cancel := context.WithTimeout(s.connCtx, 5*time.Second)
	defer cancel()
	if _, err := s.conn.Call(ctx, "window/workDoneProgress/create", map[string]any{"token": token}, nil); err != nil {
		s.log.Printf("window/workDoneProgress/create: %v", err)
		return nil
	}
	return token
}

// progress reports on a token from newProgress; nothing for nil.
func (s *server) progress(token *protocol.ProgressToken, value map[string]any) {
	if token == nil {
		return
	}
	s.notify("$/progress", map[string]any{"token": token, "value": value})
}
