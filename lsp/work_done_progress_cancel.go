package lsp

import (
	"context"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// window/workDoneProgress/cancel stops the generation reporting on the
// token (the editor's cancel button on the progress notification).
func init() {
	handlers["window/workDoneProgress/cancel"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p struct {
			Token protocol.ProgressToken `json:"token"`
		}
		if decode(req, &p) != nil {
			return nil
		}
		s.mu.Lock()
		cancel := s.cancels[p.Token.String()]
		s.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		return nil
	}
}
