package lsp

import (
	"strings"

	"github.com/kgent/kgent/analysis"
)

// verifyDoc runs verification with $/progress and publishes static and
// verification findings together. A newer save cancels an older run (the
// verifier does that per path). Programs with syntax errors are not
// verified: the compiler would only repeat them.
func (s *server) verifyDoc(d *document) {
	s.kbWait(s.connCtx, 0)
	r := s.current(d)
	if r == nil {
		return
	}
	token := s.newProgress("verify")
	s.progress(token, map[string]any{"kind": "begin", "title": "kgent: verifying " + shortPath(d.path), "message": "compiling and loading through the verifier"})
	if r.notCheck != nil || hasSyntaxErrors(r.static) {
		msg := "not verified: fix the syntax errors first"
		if r.notCheck != nil {
			msg = "not verified: " + r.notCheck.Error()
		}
		s.progress(token, map[string]any{"kind": "end", "message": msg})
		return
	}
	s.setVerifyState("running")
	s.sendStatusWith(d.path, 0)
	res := s.getVerifier().Verify(s.connCtx, d.path, r.text, d.dialect)
	if s.connCtx.Err() != nil {
		return
	}
	if res.Cancelled {
		// A newer save of the same file is verifying: it publishes; this
		// run's "cancelled" must not replace what the editor shows.
		s.progress(token, map[string]any{"kind": "end", "message": "superseded by a newer save"})
		return
	}
	msg := "verified: the kernel accepts the program"
	switch {
	case analysis.HasErrors(res.Findings):
		msg = "rejected: " + firstMessage(res.Findings)
	case len(res.Findings) > 0:
		msg = firstMessage(res.Findings)
	}
	d.mu.Lock()
	current := d.gen == r.gen
	if current {
		d.verified = res.Findings
	}
	d.mu.Unlock()
	if !current {
		msg = "the document changed during verification; save again to verify the new text"
	}
	s.progress(token, map[string]any{"kind": "end", "message": msg})
	s.setVerifyState(msg)
	s.sendStatusWith(d.path, res.Duration.Milliseconds())
	if current {
		s.publish(d, r)
	}
}

func (s *server) setVerifyState(st string) {
	s.mu.Lock()
	s.verifyState = st
	s.mu.Unlock()
}

func hasSyntaxErrors(fs []analysis.Finding) bool {
	for _, f := range fs {
		if f.Severity == analysis.Error && strings.HasPrefix(f.Code, "KG1") {
			return true
		}
	}
	return false
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
