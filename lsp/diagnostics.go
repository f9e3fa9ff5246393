package lsp

import (
	"context"
	"time"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/analysis/verify"
)

// worker is the one analysis goroutine of a document: woken by changes,
// it analyses the newest text and publishes. A change after a pause is
// analysed at once (the analysis takes a millisecond or two: a debounce
// in front of it would be most of what the user waits for); a change
// that comes while the previous one was still being analysed or within
// a few analysis times of it is part of a burst (pasting, an editor
// replaying edits, a formatter), and the worker waits until the burst
// has been quiet for the debounce. Changes that arrive meanwhile coalesce
// into one wake-up, so a storm of edits costs a few analyses, not one
// each, and nothing queues.
func (s *server) worker(d *document) {
	var lastWake time.Time
	for {
		select {
		case <-d.wake:
		case <-d.done:
			return
		case <-s.connCtx.Done():
			return
		}
		now := time.Now()
		delay := s.debounce(d, now.Sub(lastWake))
		lastWake = now
		if delay > 0 {
			t := time.NewTimer(delay)
		quiet:
			for {
				select {
				case <-d.wake:
					lastWake = time.Now()
					t.Reset(delay)
				case <-t.C:
					break quiet
				case <-d.done:
					t.Stop()
					return
				}
			}
		}
		s.kbWait(s.connCtx, 0) // the first analysis waits for the kb
		func() {
			defer func() {
				if r := recover(); r != nil {
					s.log.Printf("internal error (a bug) analysing %s: %v", d.uri, r)
				}
			}()
			if r := s.analyze(d); r != nil {
				s.publish(d, r)
			}
		}()
	}
}

// slowAnalysis is the analysis time from which the debounce grows with it.
const slowAnalysis = 250 * time.Millisecond

// debounce is the quiet time before analysing d, given the time since
// the previous change: none for a change after a pause; the configured
// one inside a burst (changes within four analysis times of each other,
// at least 10 ms: a typist's fastest keystrokes are about 50 ms apart);
// and for documents whose analysis is slow (megabytes of C take seconds),
// as long as the last analysis took (at most 2 s), so typing in them does
// not keep a core busy with analyses of texts that are already stale.
func (s *server) debounce(d *document, sinceLast time.Duration) time.Duration {
	d.mu.Lock()
	cost := d.cost
	d.mu.Unlock()
	switch {
	case cost > slowAnalysis:
		return max(s.opts.Debounce, min(cost, 2*time.Second))
	case sinceLast < max(10*time.Millisecond, 4*cost):
		return s.opts.Debounce
	}
	return 0
}

// analyze checks the document's current text through the pipeline (the
// same call as kgent check and MCP) and remembers the result.
func (s *server) analyze(d *document) *result {
	d.anMu.Lock()
	defer d.anMu.Unlock()
	cd, gen, version, text, idx, ok := d.syncedDocLocked()
	if !ok {
		return nil
	}
	// A change to the text stops this check (applyChangeLocked): its
	// result would be dropped anyway, and the worker checks the new text.
	ctx, cancel := context.WithCancel(s.connCtx)
	defer cancel()
	d.mu.Lock()
	d.cancelCheck = cancel
	superseded := d.gen != gen
	d.mu.Unlock()
	if superseded {
		cancel()
	}
	t0 := time.Now()
	snap, err := s.pipe.Analyze(ctx, pipeline.Document{Path: d.path, Version: version, Text: text, Parsed: cd, Lines: idx})
	cost := time.Since(t0)
	d.mu.Lock()
	d.cancelCheck = nil
	d.mu.Unlock()
	if err != nil {
		// Cancelled by a change, or no kb (a failed load: the user was
		// told, and a reload re-checks).
		return nil
	}
	r := &result{gen: gen, Snapshot: snap}
	if snap.NotChecked != nil {
		s.tellNotChecked(d, snap.NotChecked)
	}
	d.mu.Lock()
	d.cost = cost
	if d.last == nil || d.last.gen <= gen {
		d.last = r
	}
	d.mu.Unlock()
	return r
}

// tellNotChecked says once per document why kgent does not check it
// (binary, too large, not eBPF C or bpftrace): not a finding about the
// program, so not a diagnostic.
func (s *server) tellNotChecked(d *document, why error) {
	d.mu.Lock()
	told := d.toldNotChecked
	d.toldNotChecked = true
	d.mu.Unlock()
	if told {
		return
	}
	s.log.Printf("%s: not checked: %v", d.path, why)
	s.notify("window/logMessage", protocol.LogMessageParams{Type: protocol.MessageTypeInfo, Message: "kgent does not check " + d.path + ": " + why.Error()})
}

// current returns an analysis of the document's current text: the last
// one when it is current, else a fresh one (and publishes it).
func (s *server) current(d *document) *result {
	d.mu.Lock()
	r, gen := d.last, d.gen
	d.mu.Unlock()
	if r != nil && r.gen == gen {
		return r
	}
	if r = s.analyze(d); r != nil {
		s.publish(d, r)
	}
	return r
}

// findings merges the static findings of r with the verification
// findings still valid for r's text.
func (d *document) findingsFor(r *result) []analysis.Finding {
	d.mu.Lock()
	var verified []analysis.Finding
	if d.gen == r.gen {
		verified = d.verified
	}
	d.mu.Unlock()
	if len(verified) == 0 {
		return r.Static
	}
	return verify.Merge(r.Static, verified)
}

// publish sends r's diagnostics if r is still about the current text and
// newer than what was last sent: results of a superseded text are
// dropped, a newer analysis will publish.
func (s *server) publish(d *document, r *result) {
	d.pubMu.Lock()
	defer d.pubMu.Unlock()
	d.mu.Lock()
	stale := d.gen != r.gen || d.closed
	d.mu.Unlock()
	if stale || d.publishedOnce && r.gen < d.publishedGen {
		return
	}
	fs := d.findingsFor(r)
	diags := make([]protocol.Diagnostic, 0, len(fs))
	for _, f := range fs {
		diags = append(diags, toDiagnostic(d.uri, r.Lines(), f))
	}
	d.publishedGen, d.publishedOnce = r.gen, true
	s.notify("textDocument/publishDiagnostics", protocol.PublishDiagnosticsParams{URI: d.uri, Version: uint32(max(r.Version, 0)), Diagnostics: diags})
}

// reanalyzeAll re-checks every open document (after the kb changed).
func (s *server) reanalyzeAll() {
	for _, d := range s.openDocs() {
		d.mu.Lock()
		d.gen++ // results computed with the old kb are not current
		d.mu.Unlock()
		d.kick()
	}
}

// kbWait waits up to limit (0: without limit) for the first kb load and
// returns the kb, nil if it is not ready or failed.
func (s *server) kbWait(ctx context.Context, limit time.Duration) {
	var timeout <-chan time.Time
	if limit > 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-s.kbReady:
	case <-ctx.Done():
	case <-timeout:
	}
}
