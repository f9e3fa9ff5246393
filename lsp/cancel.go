package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	"go.lsp.dev/jsonrpc2"
)

// cancelHandler wires $/cancelRequest to the context of the request it
// names. go.lsp.dev/protocol v0.12's CancelHandler decodes the id into an
// interface{} and then matches int32, which a JSON number never is
// (it decodes as float64), so numeric ids (what editors send) were never
// cancelled; this one reads the id as raw JSON. A cancelled request that
// replies without an error gets RequestCancelled, as LSP asks.
func cancelHandler(next jsonrpc2.Handler) jsonrpc2.Handler {
	inner, cancel := jsonrpc2.CancelHandler(next)
	return func(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		if req.Method() != "$/cancelRequest" {
			r := func(ctx context.Context, result any, err error) error {
				if ctx.Err() != nil && err == nil {
					result, err = nil, errCancelled
				}
				return reply(context.WithoutCancel(ctx), result, err)
			}
			return inner(ctx, r, req)
		}
		var p struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(req.Params(), &p) == nil {
			if id, ok := parseID(p.ID); ok {
				cancel(id)
			}
		}
		return reply(ctx, nil, nil)
	}
}

func parseID(raw json.RawMessage) (jsonrpc2.ID, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return jsonrpc2.ID{}, false
		}
		return jsonrpc2.NewStringID(s), true
	}
	n, err := strconv.ParseInt(string(raw), 10, 32)
	if err != nil {
		return jsonrpc2.ID{}, false
	}
	return jsonrpc2.NewNumberID(int32(n)), true
}
