package lsp

import (
	"context"
	"encoding/json"
	"time"
)

// pullConfiguration asks a client that supports workspace/configuration
// for the kgent section.
func (s *server) pullConfiguration() {
	s.mu.Lock()
	can := s.canPullConfig
	s.mu.Unlock()
	if !can {
		return
	}
	ctx, cancel := context.WithTimeout(s.connCtx, 10*time.Second)
	defer cancel()
	var res []json.RawMessage
	if _, err := s.conn.Call(ctx, "workspace/configuration", map[string]any{"items": []map[string]any{{"section": "kgent"}}}, &res); err != nil {
		s.log.Printf("workspace/configuration: %v", err)
		return
	}
	if len(res) == 1 {
		s.applySettings(res[0])
	}
}

type didChangeConfigurationParams struct {
	Settings json.RawMessage `json:"settings"`
}

// didChangeConfiguration: settings pushed by the client, or null to say
// "ask me" (then the server pulls).
func (s *server) didChangeConfiguration(ctx context.Context, p didChangeConfigurationParams) {
	if len(p.Settings) == 0 || string(p.Settings) == "null" || string(p.Settings) == "{}" {
		s.goSafe("workspace/configuration", s.pullConfiguration)
		return
	}
	s.applySettings(p.Settings)
	return
}
