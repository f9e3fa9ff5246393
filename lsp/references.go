package lsp

import (
	"context"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/ide"
)

type referenceParams struct {
	positionParams
	Context struct {
		IncludeDeclaration bool `json:"includeDeclaration"`
	} `json:"context"`
}

// references lists, in the same document, every use of what the name
// under the cursor refers to: a C variable, parameter, function, map or
// macro by C's scopes, a bpftrace $variable in its probe (or block, for
// let) or an @map anywhere in the script. [] when there is none.
func (s *server) references(ctx context.Context, p referenceParams) (any, error) {
	locs := []protocol.Location{}
	d := s.doc(p.TextDocument.URI)
	if d == nil {
		return locs, nil
	}
	text, idx, _ := d.snapshot()
	for _, sp := range ide.References(text, idx.Offset(fromPosition(p.Position)), d.dialect, p.Context.IncludeDeclaration) {
		locs = append(locs, protocol.Location{URI: d.uri, Range: toRange(idx, sp)})
	}
	return locs, nil
}
