package lsp

import (
	"github.com/kgent/kgent/analysis/pipeline"
	"path/filepath"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis"
)

// verifyDoc verifies the document's current snapshot through the
// pipeline, with $/progress, and publishes static and verification
// findings together. The job is the document: a newer save cancels an
// older run. Files outside the workspace are untrusted sources.
func (s *server) verifyDoc(d *document) {
	s.kbWait(s.connCtx, 0)
	r := s.current(d)
	if r == nil {
		return
	}
	token := s.newProgress("verify")
	s.progress(token, map[string]any{"kind": "begin", "title": "kgent: verifying " + shortPath(d.path), "message": "compiling and loading through the verifier"})
	s.setVerifyState("running")
	s.sendStatusWith(d.path, 0)
	// A file from elsewhere (a download, another user's tree) is not
	// compiled with kgent's privileges: clang without root, bpftrace only
	// with system headers, only its own diagnostics.
	res := s.pipe.Check(s.connCtx, r.Snapshot, pipeline.Options{Verify: true, Untrusted: !s.inWorkspace(d.path), Job: string(d.uri)})
	if s.connCtx.Err() != nil {
		return
	}
	v := res.Verification
	if v.Cancelled {
		// A newer save of the same file is verifying: it publishes; this
		// run's "cancelled" must not replace what the editor shows.
		s.progress(token, map[string]any{"kind": "end", "message": "superseded by a newer save"})
		return
	}
	if v.Findings == nil && v.Unavailable != nil {
		// Not run at all (syntax errors, a document kgent does not check).
		s.progress(token, map[string]any{"kind": "end", "message": v.Unavailable.Error()})
		s.setVerifyState(v.Unavailable.Error())
		s.sendStatus()
		return
	}
	msg := "verified: the kernel accepts the program"
	switch {
	case analysis.HasErrors(v.Findings):
		msg = "rejected: " + firstMessage(v.Findings)
	case len(v.Findings) > 0:
		msg = firstMessage(v.Findings)
	}
	d.mu.Lock()
	current := d.gen == r.gen
	if current {
		d.verified = v.Findings
	}
	d.mu.Unlock()
	if !current {
		msg = "the document changed during verification; save again to verify the new text"
	}
	s.progress(token, map[string]any{"kind": "end", "message": msg})
	s.setVerifyState(msg)
	s.sendStatusWith(d.path, v.Duration.Milliseconds())
	if current {
		s.publish(d, r)
	}
}

func (s *server) setVerifyState(st string) {
	s.mu.Lock()
	s.verifyState = st
	s.mu.Unlock()
}

func firstMessage(fs []analysis.Finding) string {
	for _, f := range fs {
		if f.Severity == analysis.Error {
			return f.Message
		}
	}
	return fs[0].Message
}

func shortPath(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// workspaceDirs are the directories of the client's workspace: its
// workspace folders, else its root URI, else its root path.
func workspaceDirs(p initializeParams) []string {
	var dirs []string
	for _, f := range p.WorkspaceFolders {
		dirs = append(dirs, uriPath(protocol.DocumentURI(f.URI)))
	}
	if len(dirs) == 0 && p.RootURI != "" {
		dirs = append(dirs, uriPath(protocol.DocumentURI(p.RootURI)))
	}
	if len(dirs) == 0 && p.RootPath != "" {
		dirs = append(dirs, p.RootPath)
	}
	var out []string
	for _, d := range dirs {
		if d = cleanDir(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// cleanDir is a workspace folder's path made clean, or "" when it is not
// absolute (and so names no place to trust).
func cleanDir(d string) string {
	if !filepath.IsAbs(d) {
		return ""
	}
	return filepath.Clean(d)
}

// inWorkspace reports whether path lies in one of the workspace folders
// given at initialize (a client without any has none: every file is
// outside). Symbolic links are resolved on both sides, so a link inside
// the workspace to a file outside it is outside.
func (s *server) inWorkspace(path string) bool {
	s.mu.Lock()
	dirs := s.workspace
	s.mu.Unlock()
	if !filepath.IsAbs(path) {
		return false
	}
	real := resolved(filepath.Clean(path))
	for _, d := range dirs {
		d = resolved(d)
		if real == d || strings.HasPrefix(real, strings.TrimSuffix(d, "/")+"/") {
			return true
		}
	}
	return false
}

// resolved is path with symbolic links resolved as far as they exist
// (an unsaved file's directory still resolves).
func resolved(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	if r, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
		return filepath.Join(r, filepath.Base(path))
	}
	return path
}
