package bpfc

import (
	"context"
	"sync"

	sitter "github.com/tree-sitter/go-tree-sitter"
	tsc "github.com/tree-sitter/tree-sitter-c/bindings/go"

	"github.com/kgent/kgent/analysis"
)

var cLang = sitter.NewLanguage(tsc.Language())

// Kind ids of the C grammar, compared without building strings.
var (
	kindFunctionDefinition = cLang.IdForNodeKind("function_definition", true)
	kindComment            = cLang.IdForNodeKind("comment", true)
	kindIf                 = cLang.IdForNodeKind("if_statement", true)
	kindConditional        = cLang.IdForNodeKind("conditional_expression", true)
	kindCompound           = cLang.IdForNodeKind("compound_statement", true)
)

// Field ids of the C grammar: ChildByFieldName allocates a C string per
// call, and the walk asks for fields of every call and declaration.
var (
	fieldAlternative = cLang.FieldIdForName("alternative")
	fieldCondition   = cLang.FieldIdForName("condition")
	fieldConsequence = cLang.FieldIdForName("consequence")
	fieldArgument    = cLang.FieldIdForName("argument")
	fieldArguments   = cLang.FieldIdForName("arguments")
	fieldBody        = cLang.FieldIdForName("body")
	fieldDeclarator  = cLang.FieldIdForName("declarator")
	fieldField       = cLang.FieldIdForName("field")
	fieldFunction    = cLang.FieldIdForName("function")
	fieldName        = cLang.FieldIdForName("name")
	fieldOperator    = cLang.FieldIdForName("operator")
	fieldParameters  = cLang.FieldIdForName("parameters")
	fieldPath        = cLang.FieldIdForName("path")
	fieldSize        = cLang.FieldIdForName("size")
	fieldType        = cLang.FieldIdForName("type")
)

// Doc is a parsed document that takes edits and reparses incrementally.
// It is not safe for concurrent use; the language server owns one per
// open file.
type Doc struct {
	mu    sync.Mutex
	src   string
	m     masked
	segs  []segment // in text order; one when the text is small or has a syntax error
	spare []*sitter.Parser
	cache *checkCache
}

// segment is a range of the masked text with its parser and tree.
type segment struct {
	start, end int
	parser     *sitter.Parser
	tree       *sitter.Tree
}

// NewDoc parses src.
func NewDoc(src []byte) *Doc {
	d := &Doc{cache: newCheckCache()}
	d.reset(string(src))
	return d
}

// Text is the current text.
func (d *Doc) Text() string { return d.src }

// Edit replaces src[start:oldEnd] with newText and reparses, reusing the
// old trees where the blanked text outside the edit did not change.
func (d *Doc) Edit(start, oldEnd int, newText string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if start < 0 || oldEnd < start || oldEnd > len(d.src) {
		d.reset(d.src)
		return
	}
	next := d.src[:start] + newText + d.src[oldEnd:]
	nm := mask(next)
	newEnd := start + len(newText)
	// Incremental reuse is valid only when the blanking outside the edit
	// is unchanged, and the edit stays inside one segment, away from its
	// edges: an edit at a boundary can change the token that crosses it
	// (deleting the newline that ends a // comment joins the next item
	// to the comment).
	same := string(nm.text[:start]) == string(d.m.text[:start]) &&
		string(nm.text[newEnd:]) == string(d.m.text[oldEnd:])
	i := len(d.segs) - 1
	for i > 0 && d.segs[i].start > start {
		i--
	}
	if !same || len(d.segs) == 0 || oldEnd >= d.segs[i].end && i < len(d.segs)-1 || start <= d.segs[i].start && i > 0 {
		d.reset(next)
		return
	}
	edit := &sitter.InputEdit{
		StartByte: uint(start), OldEndByte: uint(oldEnd), NewEndByte: uint(newEnd),
		StartPosition:  pointAt(d.src, start),
		OldEndPosition: pointAt(d.src, oldEnd),
		NewEndPosition: pointAt(next, newEnd),
	}
	delta := newEnd - oldEnd
	for j := i; j < len(d.segs); j++ {
		sg := &d.segs[j]
		sg.tree.Edit(edit)
		if j > i {
			sg.start += delta
		}
		sg.end += delta
	}
	d.src, d.m = next, nm
	sg := &d.segs[i]
	old := sg.tree
	sg.tree = d.parseSegment(sg, old)
	old.Close()
	if len(d.segs) > 1 && sg.tree.RootNode().HasError() {
		// Broken code gets the whole file's error recovery, and the
		// document stays on one tree from here on.
		d.parseWhole()
	}
}

// reset parses src from scratch: in segments when it is large and they
// all parse cleanly, else whole.
func (d *Doc) reset(src string) {
	d.src = src
	d.m = mask(src)
	d.closeTrees()
	cs := cuts(src, segmentCount(len(src)))
	if len(cs) == 0 {
		d.parseWhole()
		return
	}
	bounds := append(append([]int{0}, cs...), len(src))
	for k := 0; k+1 < len(bounds); k++ {
		d.segs = append(d.segs, segment{start: bounds[k], end: bounds[k+1], parser: d.parser()})
	}
	each(len(d.segs), func(k int) {
		d.segs[k].tree = d.parseSegment(&d.segs[k], nil)
	})
	if len(d.roots()) < len(d.segs) || d.hasError() {
		d.parseWhole()
	}
}

// parseWhole parses the whole text with one parser.
func (d *Doc) parseWhole() {
	d.closeTrees()
	d.segs = []segment{{start: 0, end: len(d.m.text), parser: d.parser()}}
	d.segs[0].tree = d.parseSegment(&d.segs[0], nil)
}

// parseSegment parses sg's range of the masked text, reusing old.
func (d *Doc) parseSegment(sg *segment, old *sitter.Tree) *sitter.Tree {
	if sg.start == 0 && sg.end == len(d.m.text) {
		_ = sg.parser.SetIncludedRanges(nil)
	} else {
		_ = sg.parser.SetIncludedRanges([]sitter.Range{{
			StartByte: uint(sg.start), EndByte: uint(sg.end),
			StartPoint: pointAt(d.src, sg.start), EndPoint: pointAt(d.src, sg.end),
		}})
	}
	return parse(sg.parser, d.m.text, old)
}

// parser returns an idle parser.
func (d *Doc) parser() *sitter.Parser {
	if n := len(d.spare); n > 0 {
		p := d.spare[n-1]
		d.spare = d.spare[:n-1]
		return p
	}
	p := sitter.NewParser()
	_ = p.SetLanguage(cLang)
	return p
}

// closeTrees frees the trees and keeps the parsers for reuse.
func (d *Doc) closeTrees() {
	for _, sg := range d.segs {
		if sg.tree != nil {
			sg.tree.Close()
		}
		d.spare = append(d.spare, sg.parser)
	}
	d.segs = nil
}

// hasError reports a syntax error in any segment.
func (d *Doc) hasError() bool {
	for _, r := range d.roots() {
		if r.HasError() {
			return true
		}
	}
	return false
}

// roots are the segments' root nodes in text order.
func (d *Doc) roots() []*sitter.Node {
	out := make([]*sitter.Node, 0, len(d.segs))
	for _, sg := range d.segs {
		if sg.tree != nil {
			out = append(out, sg.tree.RootNode())
		}
	}
	return out
}

// Close frees the parsers and trees.
func (d *Doc) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closeTrees()
	for _, p := range d.spare {
		p.Close()
	}
	d.spare = nil
}

// Check runs the checks on the current text.
func (d *Doc) Check(opts Options) []analysis.Finding {
	fs, _ := d.CheckContext(context.Background(), opts)
	return fs
}

// CheckContext is Check that stops soon after ctx ends; it then returns
// the findings made so far and ctx's error.
func (d *Doc) CheckContext(ctx context.Context, opts Options) ([]analysis.Finding, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.segs) == 0 {
		return nil, ctx.Err()
	}
	return check(ctx, d.src, d.m, d.roots(), opts, d.cache)
}

// Summary describes the programs and maps of the document.
func (d *Doc) Summary() Summary {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.segs) == 0 {
		return Summary{}
	}
	return summarize(d.src, d.m, topLevel(d.roots()))
}

// Check parses and checks src once.
func Check(src string, opts Options) []analysis.Finding {
	fs, _ := CheckContext(context.Background(), src, opts)
	return fs
}

// CheckContext is Check that stops soon after ctx ends (the parse itself
// is not interrupted); it then returns the findings made so far and
// ctx's error.
func CheckContext(ctx context.Context, src string, opts Options) ([]analysis.Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d := NewDoc([]byte(src))
	defer d.Close()
	d.cache = nil // checked once: nothing to keep
	return d.CheckContext(ctx, opts)
}
