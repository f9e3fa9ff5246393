package lsp

import (
	"context"

	"go.lsp.dev/jsonrpc2"
)

// unimplemented lists LSP requests kgent does not implement (and does not
// announce in its capabilities), answered with a clear error instead of
// a generic "method not found".
var unimplemented = map[string]handlerFunc{}

func init() {
	for _, m := range []string{
		"textDocument/signatureHelp", "textDocument/formatting", "textDocument/rangeFormatting",
		"textDocument/onTypeFormatting", "textDocument/documentHighlight", "textDocument/documentLink",
		"textDocument/codeLens", "codeLens/resolve", "textDocument/declaration", "textDocument/typeDefinition",
		"textDocument/implementation", "textDocument/semanticTokens/full", "textDocument/semanticTokens/range",
		"textDocument/inlayHint", "textDocument/selectionRange", "textDocument/documentColor",
		"textDocument/prepareCallHierarchy", "textDocument/linkedEditingRange", "textDocument/moniker",
		"textDocument/diagnostic", "workspace/diagnostic", "workspace/symbol", "codeAction/resolve",
	} {
		m := m
		unimplemented[m] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
			return reply(ctx, nil, &jsonrpc2.Error{Code: jsonrpc2.MethodNotFound, Message: "not implemented by kgent: " + m})
		}
	}
}
