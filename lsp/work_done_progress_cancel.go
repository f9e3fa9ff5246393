package lsp

import (
	"context"

	"go.lsp.dev/protocol"
)

// window/workDoneProgress/cancel stops the generation reporting on the
// token (the editor's cancel button on the progress notification).

type workDoneProgressCancelParams struct {
	Token protocol.ProgressToken `json:"token"`
}

func (s *server) workDoneProgressCancel(ctx context.Context, p workDoneProgressCancelParams) {
	s.mu.Lock()
	cancel := s.cancels[p.Token.String()]
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return
}
