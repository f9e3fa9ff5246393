package lsp

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/analysis/verify"
)

// document is an open document and its pending analysis.
type document struct {
	uri  protocol.DocumentURI
	path string

	mu       sync.Mutex
	doc      *check.Document
	version  int32
	timer    *time.Timer
	gen      uint64
	findings []analysis.Finding // last published static + verification findings
	verified []analysis.Finding
	text     string // text the findings are about
}

func (d *document) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
	}
	d.doc.Close()
}

func uriPath(uri protocol.DocumentURI) string {
	u, err := url.Parse(string(uri))
	if err != nil || u.Scheme != "file" {
		return string(uri)
	}
	return u.Path
}

type didOpenParams struct {
	TextDocument struct {
		URI        protocol.DocumentURI `json:"uri"`
		LanguageID string               `json:"languageId"`
		Version    int32                `json:"version"`
		Text       string               `json:"text"`
	} `json:"textDocument"`
}

type changeEvent struct {
	Range *protocol.Range `json:"range"`
	Text  string          `json:"text"`
}

type didChangeParams struct {
	TextDocument struct {
		URI     protocol.DocumentURI `json:"uri"`
		Version int32                `json:"version"`
	} `json:"textDocument"`
	ContentChanges []changeEvent `json:"contentChanges"`
}

type docParams struct {
	TextDocument struct {
		URI protocol.DocumentURI `json:"uri"`
	} `json:"textDocument"`
}

func init() {
	handlers["textDocument/didOpen"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p didOpenParams
		if err := decode(req, &p); err != nil {
			s.log.Print(err)
			return nil
		}
		path := uriPath(p.TextDocument.URI)
		dialect := analysis.ParseDialect(p.TextDocument.LanguageID)
		if det := analysis.Detect(path, p.TextDocument.Text); det != analysis.DialectNone {
			dialect = det
		}
		d := &document{uri: p.TextDocument.URI, path: path, version: p.TextDocument.Version}
		d.doc = check.NewDocument(path, p.TextDocument.Text, dialect)
		s.mu.Lock()
		if old := s.docs[d.uri]; old != nil {
			old.close()
		}
		s.docs[d.uri] = d
		s.mu.Unlock()
		s.schedule(d, 0)
		return nil
	}
	handlers["textDocument/didChange"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p didChangeParams
		if err := decode(req, &p); err != nil {
			s.log.Print(err)
			return nil
		}
		d := s.doc(p.TextDocument.URI)
		if d == nil {
			s.log.Printf("didChange for a document that is not open: %s", p.TextDocument.URI)
			return nil
		}
		d.mu.Lock()
		if p.TextDocument.Version != 0 && p.TextDocument.Version <= d.version {
			d.mu.Unlock()
			s.log.Printf("ignoring stale change %d <= %d for %s", p.TextDocument.Version, d.version, d.uri)
			return nil
		}
		d.version = p.TextDocument.Version
		for _, c := range p.ContentChanges {
			if c.Range == nil {
				d.doc.SetText(c.Text)
				continue
			}
			idx := analysis.NewLineIndex(d.doc.Text())
			start := idx.Offset(analysis.Position{Line: int(c.Range.Start.Line), Character: int(c.Range.Start.Character)})
			end := idx.Offset(analysis.Position{Line: int(c.Range.End.Line), Character: int(c.Range.End.Character)})
			if end < start {
				start, end = end, start
			}
			d.doc.Edit(start, end, c.Text)
		}
		d.mu.Unlock()
		s.schedule(d, s.opts.Debounce)
		return nil
	}
	handlers["textDocument/didClose"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p docParams
		if decode(req, &p) != nil {
			return nil
		}
		s.mu.Lock()
		d := s.docs[p.TextDocument.URI]
		delete(s.docs, p.TextDocument.URI)
		s.mu.Unlock()
		if d != nil {
			d.close()
			s.notify("textDocument/publishDiagnostics", protocol.PublishDiagnosticsParams{URI: d.uri, Diagnostics: []protocol.Diagnostic{}})
		}
		return nil
	}
	handlers["textDocument/didSave"] = func(s *server, ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		var p docParams
		if decode(req, &p) != nil {
			return nil
		}
		if d := s.doc(p.TextDocument.URI); d != nil && s.verifyOnSave() {
			go s.verifyDoc(d)
		}
		return nil
	}
}

// schedule (re)starts the debounce timer: a newer change replaces the
// pending run, so a storm of edits costs one analysis.
func (s *server) schedule(d *document, delay time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	gen := d.gen
	if d.timer != nil {
		d.timer.Stop()
	}
	d.timer = time.AfterFunc(delay, func() { s.analyze(d, gen) })
}

func (s *server) analyze(d *document, gen uint64) {
	k := s.waitKB(context.Background())
	d.mu.Lock()
	if gen != d.gen {
		d.mu.Unlock()
		return // a newer change is pending
	}
	version := d.version
	text := d.doc.Text()
	fs, err := d.doc.Findings(check.Options{KB: k})
	if err != nil {
		fs = []analysis.Finding{{Code: analysis.KG100, Severity: analysis.Warning, Source: analysis.SourceKgent, Message: "kgent does not check this document: " + err.Error()}}
		if errors.Is(err, check.ErrUnknownDialect) {
			fs = nil
		}
	}
	d.findings = fs
	d.verified = nil
	d.text = text
	d.mu.Unlock()
	s.publish(d, version, fs, text)
}

// verifyDoc runs verification with progress and publishes static and
// verification findings together.
func (s *server) verifyDoc(d *document) {
	k := s.waitKB(context.Background())
	if k == nil {
		return
	}
	d.mu.Lock()
	text, version, dialect, path := d.doc.Text(), d.version, d.doc.Dialect, d.path
	d.mu.Unlock()
	token := protocol.NewProgressToken("kgent-verify-" + path)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, _ = s.conn.Call(ctx, "window/workDoneProgress/create", protocol.WorkDoneProgressCreateParams{Token: *token}, nil)
	cancel()
	s.notify("$/progress", map[string]any{"token": token, "value": map[string]any{"kind": "begin", "title": "kgent: verifying " + path, "message": "compiling and loading through the verifier"}})
	s.notify("kgent/status", map[string]any{"verification": "running", "path": path})
	r := s.getVerifier().Verify(context.Background(), path, text, dialect)
	static, err := check.File(path, text, check.Options{KB: k, Dialect: dialect})
	if err != nil {
		static = nil
	}
	merged := verify.Merge(static, r.Findings)
	d.mu.Lock()
	stale := d.doc.Text() != text
	if !stale {
		d.findings, d.verified, d.text = merged, r.Findings, text
	}
	d.mu.Unlock()
	msg := "verified"
	if analysis.HasErrors(r.Findings) {
		msg = "the verifier or compiler rejected the program"
	}
	s.notify("$/progress", map[string]any{"token": token, "value": map[string]any{"kind": "end", "message": msg}})
	s.notify("kgent/status", map[string]any{"verification": msg, "path": path, "ms": r.Duration.Milliseconds()})
	if !stale {
		s.publish(d, version, merged, text)
	}
}
