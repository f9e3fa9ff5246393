package lsp

import (
	"context"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/ide"
)

// codeRequestFailed is LSP's RequestFailed: the request was valid, the
// server cannot do it (a rename that would change what a name refers
// to).
const codeRequestFailed jsonrpc2.Code = -32803

type renameParams struct {
	positionParams
	NewName string `json:"newName"`
}

// prepareRename answers the range of the name a rename at the cursor
// would replace (with its sigil in bpftrace), or says why there is
// nothing to rename there (a helper declared in a header, a field).
//
// rename renames it everywhere it is referenced in the document, or
// refuses with the reason: the new name is not an identifier of the
// dialect, is a keyword, or would change what a name refers to
// (declared in the same scope, capturing a reference or being captured).
func (s *server) prepareRename(ctx context.Context, p positionParams) (any, error) {
	d := s.doc(p.TextDocument.URI)
	if d == nil {
		return nil, nil
	}
	text, idx, _ := d.snapshot()
	sp, err := ide.PrepareRename(text, idx.Offset(fromPosition(p.Position)), d.dialect)
	if err != nil {
		return nil, &jsonrpc2.Error{Code: codeRequestFailed, Message: err.Error()}
	}
	return toRange(idx, sp), nil
}

func (s *server) rename(ctx context.Context, p renameParams) (any, error) {
	d := s.doc(p.TextDocument.URI)
	if d == nil {
		return nil, nil
	}
	text, idx, _ := d.snapshot()
	edits, err := ide.Rename(text, idx.Offset(fromPosition(p.Position)), d.dialect, p.NewName)
	if err != nil {
		return nil, &jsonrpc2.Error{Code: codeRequestFailed, Message: err.Error()}
	}
	return protocol.WorkspaceEdit{Changes: map[protocol.DocumentURI][]protocol.TextEdit{d.uri: toTextEdits(idx, edits)}}, nil
}
