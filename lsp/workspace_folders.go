package lsp

import (
	"context"
	"slices"

	"go.lsp.dev/protocol"
)

// didChangeWorkspaceFolders keeps the trusted folders in step with the
// editor: a file in a folder the user added is verified as the user's
// own, one in a folder removed is untrusted again.

type didChangeWorkspaceFoldersParams struct {
	Event struct {
		Added   []struct{ URI string } `json:"added"`
		Removed []struct{ URI string } `json:"removed"`
	} `json:"event"`
}

func (s *server) didChangeWorkspaceFolders(ctx context.Context, p didChangeWorkspaceFoldersParams) {
	dir := func(uri string) string { return cleanDir(uriPath(protocol.DocumentURI(uri))) }
	s.mu.Lock()
	for _, f := range p.Event.Removed {
		d := dir(f.URI)
		s.workspace = slices.DeleteFunc(s.workspace, func(w string) bool { return w == d })
	}
	for _, f := range p.Event.Added {
		if d := dir(f.URI); d != "" && !slices.Contains(s.workspace, d) {
			s.workspace = append(s.workspace, d)
		}
	}
	s.mu.Unlock()
	return
}
