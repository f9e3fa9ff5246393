package lsp

import (
	"context"

	"go.lsp.dev/jsonrpc2"
)

// handlerFunc handles one method. It must reply exactly once (notifications
// reply too: the AsyncHandler wrapper waits for it).
type handlerFunc func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error

// route is one method the server implements, and what initialize
// announces for it (merged into the capabilities; nil: nothing).
type route struct {
	handle handlerFunc
	caps   map[string]any
}

// routes is the one table of the methods the server implements, each a
// typed method of server in its own file: dispatch takes the handlers
// from it and initialize derives the capabilities from it, so nothing is
// announced that is not served and nothing served goes unannounced. A
// request for any other method is answered "not implemented by kgent".
var routes = map[string]route{
	"initialized":                      {handle: notification((*server).onInitialized)},
	"shutdown":                         {handle: request((*server).shutdownRequest)},
	"workspace/didChangeConfiguration": {handle: notification((*server).didChangeConfiguration)},
	"workspace/didChangeWorkspaceFolders": {handle: notification((*server).didChangeWorkspaceFolders),
		// Which files are trusted follows the folders the user adds and
		// removes.
		caps: map[string]any{"workspace": map[string]any{"workspaceFolders": map[string]any{"supported": true, "changeNotifications": true}}}},
	"window/workDoneProgress/cancel": {handle: notification((*server).workDoneProgressCancel)},
	"textDocument/didOpen": {handle: notification((*server).didOpen),
		caps: map[string]any{"textDocumentSync": map[string]any{"openClose": true, "change": 2, "save": map[string]any{"includeText": false}}}},
	"textDocument/didChange": {handle: notification((*server).didChange)},
	"textDocument/didSave":   {handle: notification((*server).didSave)},
	"textDocument/didClose":  {handle: notification((*server).didClose)},
	"textDocument/hover":     {handle: request((*server).hover), caps: map[string]any{"hoverProvider": true}},
	"textDocument/completion": {handle: request((*server).completion), caps: map[string]any{"completionProvider": map[string]any{
		"triggerCharacters": []string{".", ">", ":", "/", "\"", "$", "@"}, "resolveProvider": true}}},
	"completionItem/resolve":      {handle: request((*server).completionResolve)},
	"textDocument/codeAction":     {handle: request((*server).codeAction), caps: map[string]any{"codeActionProvider": map[string]any{"codeActionKinds": []string{"quickfix", "refactor.rewrite", string(fixAllKind)}}}},
	"textDocument/documentSymbol": {handle: request((*server).documentSymbol), caps: map[string]any{"documentSymbolProvider": true}},
	"textDocument/definition":     {handle: request((*server).definition), caps: map[string]any{"definitionProvider": true}},
	"textDocument/references":     {handle: request((*server).references), caps: map[string]any{"referencesProvider": true}},
	"textDocument/prepareRename":  {handle: request((*server).prepareRename), caps: map[string]any{"renameProvider": map[string]any{"prepareProvider": true}}},
	"textDocument/rename":         {handle: request((*server).rename)},
	"textDocument/foldingRange":   {handle: request((*server).foldingRange), caps: map[string]any{"foldingRangeProvider": true}},
	"workspace/executeCommand": {handle: request((*server).executeCommand),
		caps: map[string]any{"executeCommandProvider": map[string]any{"commands": []string{cmdGenerate, cmdVerify, cmdKBRebuild}}}},
}

// capabilities are what initialize announces: the position encoding and
// every route's capabilities.
func capabilities() map[string]any {
	c := map[string]any{"positionEncoding": "utf-16"}
	for _, r := range routes {
		for k, v := range r.caps {
			c[k] = v
		}
	}
	return c
}

// request adapts a typed request handler: the params decoded into P (a
// decode error is the reply), then its result or error replied.
func request[P any](h func(s *server, ctx context.Context, p P) (any, error)) handlerFunc {
	return func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p P
		if err := decode(req, &p); err != nil {
			return reply(ctx, nil, err)
		}
		res, err := h(s, ctx, p)
		return reply(ctx, res, err)
	}
}

// notification adapts a typed notification handler: params that do not
// decode are logged and the notification dropped.
func notification[P any](h func(s *server, ctx context.Context, p P)) handlerFunc {
	return func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p P
		if err := decode(req, &p); err != nil {
			s.log.Print(err)
			return nil
		}
		h(s, ctx, p)
		return nil
	}
}
