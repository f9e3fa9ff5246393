package lsp

import (
	"net/url"
	"sync"
	"time"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/analysis/pipeline"
)

// maxPendingEdits bounds the edits queued for the incremental C parse
// between two analyses; past it the parse restarts from the whole text,
// so a storm of changes never queues without bound.
const maxPendingEdits = 256

// edit is one text change in byte offsets of the text it applied to.
type edit struct {
	start, oldEnd int
	text          string
}

// document is an open document. Text-sync handlers record changes under
// mu; the analysis worker owns the incremental parse under anMu.
type document struct {
	uri     protocol.DocumentURI
	path    string
	dialect analysis.Dialect

	// mu guards the fields below. Held only for short bookkeeping, never
	// while analysing or calling the client.
	mu      sync.Mutex
	version int32
	text    string
	idx     *analysis.LineIndex // for text, built lazily
	gen     uint64              // bumped by every change
	pending []edit              // changes not yet applied to cdoc
	reset   bool                // cdoc must restart from text
	last    *result             // the newest analysis
	cost    time.Duration       // how long the last analysis took
	// verified holds the last verification's findings, their spans moved
	// through later edits (dropped where an edit touched them) until the
	// next save replaces them.
	verified []analysis.Finding
	closed   bool
	// toldNotChecked: the user was told why kgent does not check it.
	toldNotChecked bool
	// cancelCheck stops the static check running on this document, if
	// any: a change makes its result stale.
	cancelCheck func()

	wake chan struct{} // capacity 1: a change is waiting for analysis
	done chan struct{} // closed by close

	// anMu serialises analysis and guards cdoc, which is not safe for
	// concurrent use (tree-sitter).
	anMu sync.Mutex
	cdoc *check.Document
	// pubMu orders publishing: a result is sent only if it is still the
	// newest, checked under this lock.
	pubMu         sync.Mutex
	publishedGen  uint64
	publishedOnce bool
}

// result is one static analysis of one text: the pipeline's snapshot
// of the document version, and the change generation it belongs to.
type result struct {
	gen uint64
	*pipeline.Snapshot
}

func newDocument(uri protocol.DocumentURI, version int32, languageID, text string) *document {
	path := uriPath(uri)
	dialect := analysis.ParseDialect(languageID)
	if det := analysis.Detect(path, text); det != analysis.DialectNone {
		dialect = det
	}
	return &document{uri: uri, path: path, dialect: dialect, version: version, text: text, reset: true,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func uriPath(uri protocol.DocumentURI) string {
	u, err := url.Parse(string(uri))
	if err != nil || u.Scheme != "file" {
		return string(uri)
	}
	return u.Path
}

// snapshot returns the current text, its line index and version.
func (d *document) snapshot() (string, *analysis.LineIndex, int32) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.text, d.indexLocked(), d.version
}

func (d *document) indexLocked() *analysis.LineIndex {
	if d.idx == nil {
		d.idx = analysis.NewLineIndex(d.text)
	}
	return d.idx
}

// applyChange records one content change (a nil range replaces the whole
// text). Positions are UTF-16, converted through the line index of the
// text as it is before this change.
func (d *document) applyChangeLocked(rng *protocol.Range, text string) {
	if d.cancelCheck != nil {
		d.cancelCheck()
	}
	if rng == nil {
		d.text, d.idx, d.reset, d.pending, d.verified = text, nil, true, nil, nil
		return
	}
	idx := d.indexLocked()
	start := idx.Offset(fromPosition(rng.Start))
	end := idx.Offset(fromPosition(rng.End))
	if end < start {
		start, end = end, start
	}
	d.text = d.text[:start] + text + d.text[end:]
	d.idx = nil
	if !d.reset {
		if len(d.pending) >= maxPendingEdits {
			d.reset, d.pending = true, nil
		} else {
			d.pending = append(d.pending, edit{start, end, text})
		}
	}
	d.verified = shiftFindings(d.verified, start, end, len(text))
}

// kick wakes the analysis worker without blocking.
func (d *document) kick() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *document) close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	close(d.done)
	d.mu.Unlock()
	d.anMu.Lock()
	if d.cdoc != nil {
		d.cdoc.Close()
		d.cdoc = nil
	}
	d.anMu.Unlock()
}

// syncedDoc brings the incremental parse up to the current text and
// returns it with the text's generation. Call with anMu held.
func (d *document) syncedDocLocked() (*check.Document, uint64, int32, string, *analysis.LineIndex, bool) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, 0, 0, "", nil, false
	}
	gen, version, text, idx := d.gen, d.version, d.text, d.indexLocked()
	pending, reset := d.pending, d.reset
	d.pending, d.reset = nil, false
	d.mu.Unlock()
	if reset || d.cdoc == nil {
		if d.cdoc != nil {
			d.cdoc.Close()
		}
		d.cdoc = check.NewDocument(d.path, text, d.dialect)
	} else {
		for _, e := range pending {
			d.cdoc.Edit(e.start, e.oldEnd, e.text)
		}
		if d.cdoc.Text() != text {
			// Can't happen unless an edit was lost; recover with a full parse.
			d.cdoc.SetText(text)
		}
	}
	return d.cdoc, gen, version, text, idx, true
}

// shiftFindings moves findings of an older text through one edit
// (text[start:oldEnd] replaced by newLen bytes): spans after it shift,
// findings whose span, related spans or fix edits the edit touches are
// dropped.
func shiftFindings(fs []analysis.Finding, start, oldEnd, newLen int) []analysis.Finding {
	if len(fs) == 0 {
		return fs
	}
	delta := newLen - (oldEnd - start)
	move := func(sp analysis.Span) (analysis.Span, bool) {
		switch {
		case sp.End <= start:
			return sp, true
		case sp.Start >= oldEnd:
			return sp.Shifted(delta), true
		}
		return sp, false
	}
	out := fs[:0:0]
	for _, f := range fs {
		var ok bool
		if f.Span, ok = move(f.Span); !ok {
			continue
		}
		rel := make([]analysis.Related, 0, len(f.Related))
		for _, r := range f.Related {
			if r.Path != "" {
				rel = append(rel, r)
			} else if r.Span, ok = move(r.Span); ok {
				rel = append(rel, r)
			}
		}
		f.Related = rel
		fixes := make([]analysis.Fix, 0, len(f.Fixes))
		for _, fx := range f.Fixes {
			edits := make([]analysis.Edit, 0, len(fx.Edits))
			for _, e := range fx.Edits {
				if e.Span, ok = move(e.Span); !ok {
					break
				}
				edits = append(edits, e)
			}
			if len(edits) == len(fx.Edits) {
				fx.Edits = edits
				fixes = append(fixes, fx)
			}
		}
		f.Fixes = fixes
		out = append(out, f)
	}
	return out
}
