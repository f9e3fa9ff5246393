package lsp

import (
	"context"
	"encoding/json"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

func (s *server) executeCommand(ctx context.Context, reply jsonrpc2.Replier, cmd string, args []json.RawMessage) error {
	switch cmd {
	case "kgent.verify":
		var a struct {
			URI protocol.DocumentURI `json:"uri"`
		}
		if len(args) == 0 || json.Unmarshal(args[0], &a) != nil {
			return reply(ctx, nil, &jsonrpc2.Error{Code: jsonrpc2.InvalidParams, Message: "kgent.verify takes {\"uri\": ...}"})
		}
		d := s.doc(a.URI)
		if d == nil {
			return reply(ctx, nil, &jsonrpc2.Error{Code: jsonrpc2.InvalidParams, Message: "document is not open: " + string(a.URI)})
		}
		go s.verifyDoc(d)
		return reply(ctx, nil, nil)
	case "kgent.kb.rebuild":
		go func() {
			s.mu.Lock()
			opts := s.opts.KB
			if opts.Dir == "" && opts.BTFFile == "" {
				opts.BTFFile = s.settings.TargetBTF
			}
			s.mu.Unlock()
			opts.Rebuild = true
			k, err := s.opts.LoadKB(opts)
			if err != nil {
				s.notify("window/showMessage", protocol.ShowMessageParams{Type: protocol.MessageTypeError, Message: "kgent: kb rebuild failed: " + err.Error()})
				return
			}
			s.mu.Lock()
			s.kb = k
			s.verifier = nil
			s.mu.Unlock()
			info := k.Info()
			s.notify("kgent/status", map[string]any{"kernel": info.Kernel, "source": info.Source, "counts": info.Counts})
		}()
		return reply(ctx, nil, nil)
	case "kgent.generate":
		return s.generate(ctx, reply, args)
	}
	return reply(ctx, nil, &jsonrpc2.Error{Code: jsonrpc2.InvalidParams, Message: "unknown command " + cmd})
}
