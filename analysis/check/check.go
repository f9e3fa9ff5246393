// Package check is the one static-analysis call the CLI, the language
// server, the agent and the MCP front share, so what an editor shows and
// what CI reports never differ.
package check

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/bpfc"
	"github.com/kgent/kgent/analysis/bpftrace"
	"github.com/kgent/kgent/kb"
)

// MaxSize is the largest document checked; larger ones get an error.
const MaxSize = 16 << 20

// Errors for documents that are not checked at all.
var (
	ErrBinary         = errors.New("binary content (NUL bytes): not an eBPF C or bpftrace source")
	ErrTooLarge       = fmt.Errorf("larger than %d MiB: not checked", MaxSize>>20)
	ErrUnknownDialect = errors.New("not an eBPF C (*.bpf.c, or C including bpf/bpf_helpers.h or vmlinux.h) or bpftrace (*.bt, or a bpftrace shebang) source")
)

// Options for a check.
type Options struct {
	KB *kb.KB
	// Dialect overrides detection from the path and text.
	Dialect analysis.Dialect
	// BpftraceVersion is the bpftrace version to check against ("" for the
	// installed one, else the newest known).
	BpftraceVersion string
	// IncludePaths are the configured include directories (includePaths,
	// KGENT_INCLUDE_PATHS). A program's includes are read only from its
	// own directory (and below), these and the system headers, and only
	// when they are regular files: anything else is KG506.
	IncludePaths []string
	// Others are the other kernels checked against (C programs: messages
	// say which has a name this one lacks).
	Others []kb.NamedKB
}

// File checks one document. The error is set only when the document is not
// checked at all (binary, too large, unknown dialect).
func File(path, text string, opts Options) ([]analysis.Finding, error) {
	return FileContext(context.Background(), path, text, opts)
}

// FileContext is File that stops soon after ctx ends, with ctx's error.
func FileContext(ctx context.Context, path, text string, opts Options) ([]analysis.Finding, error) {
	if err := Checkable(text); err != nil {
		return nil, err
	}
	d := opts.Dialect
	if d == analysis.DialectNone {
		d = analysis.Detect(path, text)
	}
	var fs []analysis.Finding
	var err error
	switch d {
	case analysis.DialectBpftrace:
		fs, err = bpftrace.CheckContext(ctx, text, bpftrace.Options{KB: opts.KB, Version: opts.BpftraceVersion, Path: path, IncludePaths: opts.IncludePaths})
	case analysis.DialectC:
		fs, err = bpfc.CheckContext(ctx, text, bpfc.Options{KB: opts.KB, Path: path, IncludePaths: opts.IncludePaths, Others: opts.Others})
	default:
		return nil, ErrUnknownDialect
	}
	if err != nil {
		return nil, err
	}
	return Annotate(fs, opts.KB), nil
}

// Checkable says why text is not checked at all, or nil.
func Checkable(text string) error {
	if len(text) > MaxSize {
		return ErrTooLarge
	}
	head := text
	if len(head) > 8192 {
		head = head[:8192]
	}
	if strings.IndexByte(head, 0) >= 0 {
		return ErrBinary
	}
	return nil
}

// Annotate adds what every consumer needs to know about the facts behind
// findings: the kernel they were checked against, and KG001 when that is
// the embedded reference kernel rather than the target.
func Annotate(fs []analysis.Finding, k *kb.KB) []analysis.Finding {
	if k == nil {
		return fs
	}
	note := KernelNote(k)
	for i := range fs {
		if fs[i].Source == analysis.SourceKgent && fs[i].Code != analysis.KG100 {
			fs[i].Notes = append(fs[i].Notes, note)
		}
	}
	if k.Meta.Reference {
		fs = append(fs, analysis.New(analysis.KG001, analysis.Span{}, "checked against the embedded reference kernel "+k.Meta.Kernel+", not the target: build a kb on the target with 'kgent kb build' or pass --btf").WithNote(note))
	}
	return fs
}

// KernelNote names the kernel and where its facts came from.
func KernelNote(k *kb.KB) string {
	src := "host BTF"
	switch {
	case k.Meta.Reference:
		src = "embedded reference snapshot"
	case k.Meta.Source == "btf-file":
		src = "BTF file " + k.Meta.BTFSHA256[:min(12, len(k.Meta.BTFSHA256))]
	}
	return fmt.Sprintf("checked against kernel %s (%s)", k.Meta.Kernel, src)
}

// ValidUTF8 reports whether text is valid UTF-8; invalid bytes are still
// checked (they count as one column each), callers may warn.
func ValidUTF8(text string) bool { return utf8.ValidString(text) }

// Document is an open document whose findings are computed by the same
// call as File, reusing the incremental C parse between edits.
type Document struct {
	Path    string
	Dialect analysis.Dialect
	text    string
	cdoc    *bpfc.Doc
}

// NewDocument opens a document; the dialect is detected when d is none.
func NewDocument(path, text string, d analysis.Dialect) *Document {
	if d == analysis.DialectNone {
		d = analysis.Detect(path, text)
	}
	doc := &Document{Path: path, Dialect: d, text: text}
	if d == analysis.DialectC && Checkable(text) == nil {
		doc.cdoc = bpfc.NewDoc([]byte(text))
	}
	return doc
}

// Text is the current text.
func (d *Document) Text() string { return d.text }

// Edit replaces text[start:oldEnd] with newText.
func (d *Document) Edit(start, oldEnd int, newText string) {
	if start < 0 || oldEnd < start || oldEnd > len(d.text) {
		d.SetText(d.text)
		return
	}
	d.text = d.text[:start] + newText + d.text[oldEnd:]
	if d.cdoc != nil {
		d.cdoc.Edit(start, oldEnd, newText)
	}
}

// SetText replaces the whole text.
func (d *Document) SetText(text string) {
	d.text = text
	if d.cdoc != nil {
		d.cdoc.Close()
		d.cdoc = nil
	}
	if d.Dialect == analysis.DialectC && Checkable(text) == nil {
		d.cdoc = bpfc.NewDoc([]byte(text))
	}
}

// Findings checks the current text, exactly as File does.
func (d *Document) Findings(opts Options) ([]analysis.Finding, error) {
	return d.FindingsContext(context.Background(), opts)
}

// FindingsContext is Findings that stops soon after ctx ends, with ctx's
// error.
func (d *Document) FindingsContext(ctx context.Context, opts Options) ([]analysis.Finding, error) {
	if err := Checkable(d.text); err != nil {
		return nil, err
	}
	if d.Dialect == analysis.DialectC && d.cdoc != nil {
		fs, err := d.cdoc.CheckContext(ctx, bpfc.Options{KB: opts.KB, Path: d.Path, IncludePaths: opts.IncludePaths, Others: opts.Others})
		if err != nil {
			return nil, err
		}
		return Annotate(fs, opts.KB), nil
	}
	opts.Dialect = d.Dialect
	return FileContext(ctx, d.Path, d.text, opts)
}

// CSummary is the program/map summary of a C document.
func (d *Document) CSummary() (bpfc.Summary, bool) {
	if d.cdoc == nil {
		return bpfc.Summary{}, false
	}
	return d.cdoc.Summary(), true
}

// Close frees the parse tree.
func (d *Document) Close() {
	if d.cdoc != nil {
		d.cdoc.Close()
		d.cdoc = nil
	}
}
