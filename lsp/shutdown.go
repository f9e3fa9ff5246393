package lsp

import (
	"context"
)

// shutdown stops analysis; only exit is accepted afterwards.
func (s *server) shutdownRequest(ctx context.Context, _ struct{}) (any, error) {
	s.mu.Lock()
	s.shutdown = true
	docs := s.docs
	s.mu.Unlock()
	for _, d := range docs {
		d.close()
	}
	return nil, nil
}
