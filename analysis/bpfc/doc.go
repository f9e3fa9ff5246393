package bpfc

import (
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
)

// Field ids of the C grammar: ChildByFieldName allocates a C string per
// call, and the walk asks for fields of every call and declaration.
var (
	fieldArgument   = cLang.FieldIdForName("argument")
	fieldArguments  = cLang.FieldIdForName("arguments")
	fieldBody       = cLang.FieldIdForName("body")
	fieldDeclarator = cLang.FieldIdForName("declarator")
	fieldField      = cLang.FieldIdForName("field")
	fieldFunction   = cLang.FieldIdForName("function")
	fieldName       = cLang.FieldIdForName("name")
	fieldOperator   = cLang.FieldIdForName("operator")
	fieldParameters = cLang.FieldIdForName("parameters")
	fieldPath       = cLang.FieldIdForName("path")
	fieldSize       = cLang.FieldIdForName("size")
	fieldType       = cLang.FieldIdForName("type")
)

// Doc is a parsed document that takes edits and reparses incrementally.
// It is not safe for concurrent use; the language server owns one per
// open file.
type Doc struct {
	mu     sync.Mutex
	src    string
	m      masked
	parser *sitter.Parser
	tree   *sitter.Tree
	cache  *checkCache
}

// NewDoc parses src.
func NewDoc(src []byte) *Doc {
	d := &Doc{parser: sitter.NewParser(), cache: newCheckCache()}
	_ = d.parser.SetLanguage(cLang)
	d.src = string(src)
	d.m = mask(d.src)
	d.tree = parse(d.parser, d.m.text, nil)
	return d
}

// Text is the current text.
func (d *Doc) Text() string { return d.src }

// Edit replaces src[start:oldEnd] with newText and reparses, reusing the
// old tree where the blanked text outside the edit did not change.
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
	// is unchanged.
	same := string(nm.text[:start]) == string(d.m.text[:start]) &&
		string(nm.text[newEnd:]) == string(d.m.text[oldEnd:])
	if !same || d.tree == nil {
		d.src, d.m = next, nm
		if d.tree != nil {
			d.tree.Close()
		}
		d.tree = parse(d.parser, d.m.text, nil)
		return
	}
	d.tree.Edit(&sitter.InputEdit{
		StartByte: uint(start), OldEndByte: uint(oldEnd), NewEndByte: uint(newEnd),
		StartPosition:  point(d.src, start),
		OldEndPosition: point(d.src, oldEnd),
		NewEndPosition: point(next, newEnd),
	})
	d.src, d.m = next, nm
	old := d.tree
	d.tree = parse(d.parser, d.m.text, old)
	old.Close()
}

func (d *Doc) reset(src string) {
	d.src = src
	d.m = mask(src)
	if d.tree != nil {
		d.tree.Close()
	}
	d.tree = parse(d.parser, d.m.text, nil)
}

// point is the tree-sitter row/column (bytes) of off.
func point(s string, off int) sitter.Point {
	row, col := 0, 0
	for i := 0; i < off && i < len(s); i++ {
		if s[i] == '\n' {
			row++
			col = 0
		} else {
			col++
		}
	}
	return sitter.Point{Row: uint(row), Column: uint(col)}
}

// Close frees the parser and tree.
func (d *Doc) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tree != nil {
		d.tree.Close()
		d.tree = nil
	}
	if d.parser != nil {
		d.parser.Close()
		d.parser = nil
	}
}

// Check runs the checks on the current text.
func (d *Doc) Check(opts Options) []analysis.Finding {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tree == nil {
		return nil
	}
	return check(d.src, d.m, d.tree.RootNode(), opts, d.cache)
}

// Summary describes the programs and maps of the document.
func (d *Doc) Summary() Summary {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tree == nil {
		return Summary{}
	}
	root := d.tree.RootNode()
	return summarize(d.src, d.m, topLevel(root))
}

// Check parses and checks src once.
func Check(src string, opts Options) []analysis.Finding {
	d := NewDoc([]byte(src))
	defer d.Close()
	d.cache = nil // checked once: nothing to keep
	return d.Check(opts)
}
