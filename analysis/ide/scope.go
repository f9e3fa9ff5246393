package ide

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/kgent/kgent/analysis"
)

// Go-to-definition, references and rename read the names of a document
// from its syntax tree (C: tree-sitter, see scope_c.go; bpftrace: the
// AST, see scope_bt.go) into an index: the scopes, the entities declared
// in them, and every occurrence of a name with the entity it refers to.
// The dialects differ only in how the index is built; lookup, references
// and the rename checks below are shared.

// index holds the names of one document.
type index struct {
	scopes []scope
	ents   []entity
	occs   []occ // in text order once built
	// external maps a name declared nowhere in the document (a helper,
	// a kernel type's constant) to its entity.
	external map[string]int
	// C only: names used as types (a rename must not take one), and the
	// names that appear free in macro bodies (which kgent cannot resolve).
	typeNames  map[string]bool
	macroNames map[string]bool
	dialect    analysis.Dialect
	text       string
	// partial: only the top-level item at focus was read whole (C; see
	// buildC).
	partial bool
	focus   analysis.Span
}

// covers reports whether the index answers a query at off about
// entity-local names (partial) or about every name (full).
func (x *index) covers(off int, full bool) bool {
	return !x.partial || !full && x.focus.Start <= off && off <= x.focus.End && x.focus.End > x.focus.Start
}

// scope is a region in which names are declared.
type scope struct {
	parent int // -1 for the outermost
	// hoisted: a name declared anywhere in the scope is visible in all
	// of it (C's file scope, whose functions may be called before their
	// definition; a bpftrace probe's variables). Otherwise a name is
	// visible from its declaration on.
	hoisted bool
	names   map[string]int // entity by name
}

type entKind uint8

const (
	entVar      entKind = iota // a C variable or function, a bpftrace $variable
	entMacro                   // #define (both dialects), bpftrace macro
	entMap                     // a bpftrace @map
	entExternal                // declared outside the document
)

// entity is one declared thing.
type entity struct {
	name  string
	scope int // -1 for external names
	pos   int // visible from here on in a scope that is not hoisted
	def   analysis.Span
	// strong: def is a definition (a function body, an initializer, a
	// macro), not just a declaration that a definition may replace.
	strong bool
	kind   entKind
}

// occ is one occurrence of a name.
type occ struct {
	span  analysis.Span
	name  string
	scope int
	ent   int // -1 until resolved
	decl  bool
}

func newIndex(d analysis.Dialect, text string) *index {
	return &index{external: map[string]int{}, typeNames: map[string]bool{}, macroNames: map[string]bool{}, dialect: d, text: text}
}

// line is the 1-based line of off, for messages.
func (x *index) line(off int) int {
	return strings.Count(x.text[:min(max(off, 0), len(x.text))], "\n") + 1
}

func (x *index) newScope(parent int, hoisted bool) int {
	x.scopes = append(x.scopes, scope{parent: parent, hoisted: hoisted})
	return len(x.scopes) - 1
}

// declare records a declaration of name at sp in scope s; a second
// declaration of a name in the same scope is the same entity (a
// prototype and its definition, extern and the definition).
func (x *index) declare(s int, name string, sp analysis.Span, strong bool, kind entKind) int {
	e := x.entityFor(s, name, sp, strong, kind)
	x.occs = append(x.occs, occ{span: sp, name: name, scope: s, ent: e, decl: true})
	return e
}

// entityFor is the entity name declared at sp in scope s: a new one, or
// the one the scope has (whose definition becomes sp if sp is strong and
// the one it has is not).
func (x *index) entityFor(s int, name string, sp analysis.Span, strong bool, kind entKind) int {
	sc := &x.scopes[s]
	if sc.names == nil {
		sc.names = map[string]int{}
	}
	e, ok := sc.names[name]
	if !ok {
		x.ents = append(x.ents, entity{name: name, scope: s, pos: sp.End, def: sp, strong: strong, kind: kind})
		e = len(x.ents) - 1
		sc.names[name] = e
	} else if strong && !x.ents[e].strong {
		x.ents[e].def, x.ents[e].strong = sp, true
	}
	return e
}

// merge appends y, an index of the text after everything x holds, read
// with its own scope 0 standing for the file (C: a worker's share of the
// top-level items), before any use is resolved: y's file-scope names
// join x's, its other scopes and names are renumbered.
func (x *index) merge(y *index) {
	base := len(x.scopes) - 1
	scopeOf := func(s int) int {
		if s <= 0 {
			return s
		}
		return s + base
	}
	entOf := make([]int, len(y.ents))
	for i, e := range y.ents {
		if e.scope == 0 {
			entOf[i] = x.entityFor(0, e.name, e.def, e.strong, e.kind)
			continue
		}
		e.scope = scopeOf(e.scope)
		x.ents = append(x.ents, e)
		entOf[i] = len(x.ents) - 1
	}
	for _, sc := range y.scopes[1:] {
		names := make(map[string]int, len(sc.names))
		for name, e := range sc.names {
			names[name] = entOf[e]
		}
		x.scopes = append(x.scopes, scope{parent: scopeOf(sc.parent), hoisted: sc.hoisted, names: names})
	}
	for _, o := range y.occs {
		o.scope = scopeOf(o.scope)
		if o.ent >= 0 {
			o.ent = entOf[o.ent]
		}
		x.occs = append(x.occs, o)
	}
	for name := range y.typeNames {
		x.typeNames[name] = true
	}
	for name := range y.macroNames {
		x.macroNames[name] = true
	}
	if y.focus.End > y.focus.Start {
		x.focus = y.focus
	}
}

// use records a use of name at sp, looked up from scope s once the whole
// document is read.
func (x *index) use(s int, name string, sp analysis.Span) {
	x.occs = append(x.occs, occ{span: sp, name: name, scope: s, ent: -1})
}

// lookup finds the entity name refers to at pos in scope s: the
// innermost enclosing scope that declares it (before pos, unless the
// scope is hoisted).
func (x *index) lookup(name string, s, pos int) int {
	for ; s >= 0; s = x.scopes[s].parent {
		if e, ok := x.scopes[s].names[name]; ok && (x.scopes[s].hoisted || x.ents[e].pos <= pos) {
			return e
		}
	}
	return -1
}

// resolve sorts the occurrences and looks up every use; implicit, when
// not nil, declares a name no scope declares (bpftrace's variables and
// maps come into being where they are first used) and returns its entity,
// or -1 for an external name.
func (x *index) resolve(implicit func(o *occ) int) {
	sort.SliceStable(x.occs, func(i, j int) bool { return x.occs[i].span.Start < x.occs[j].span.Start })
	for i := range x.occs {
		o := &x.occs[i]
		if o.ent >= 0 {
			continue
		}
		o.ent = x.lookup(o.name, o.scope, o.span.Start)
		if o.ent < 0 && implicit != nil {
			o.ent = implicit(o)
		}
		if o.ent < 0 {
			e, ok := x.external[o.name]
			if !ok {
				x.ents = append(x.ents, entity{name: o.name, scope: -1, kind: entExternal})
				e = len(x.ents) - 1
				x.external[o.name] = e
			}
			o.ent = e
		}
	}
}

// at is the occurrence under the cursor: the one that contains off, or
// ends at it.
func (x *index) at(off int) (*occ, bool) {
	i := sort.Search(len(x.occs), func(i int) bool { return x.occs[i].span.Start > off }) - 1
	if i < 0 || off > x.occs[i].span.End {
		return nil, false
	}
	return &x.occs[i], true
}

// refs are the occurrences of entity e, in text order.
func (x *index) refs(e int) []*occ {
	var out []*occ
	for i := range x.occs {
		if x.occs[i].ent == e {
			out = append(out, &x.occs[i])
		}
	}
	return out
}

// The last few indexes, by dialect and text: a definition, then
// references, then a rename ask about the same text.
var indexCache struct {
	sync.Mutex
	entries [4]struct {
		d    analysis.Dialect
		text string
		x    *index
	}
	next int
}

// indexFor returns an index of text that answers a query at off: about
// names local to a function, or (full) about any name; nil for a dialect
// without one.
func indexFor(text string, d analysis.Dialect, off int, full bool) *index {
	if d != analysis.DialectC && d != analysis.DialectBpftrace {
		return nil
	}
	indexCache.Lock()
	for _, e := range indexCache.entries {
		if e.x != nil && e.d == d && e.text == text && e.x.covers(off, full) {
			indexCache.Unlock()
			return e.x
		}
	}
	indexCache.Unlock()
	var x *index
	switch {
	case d == analysis.DialectBpftrace:
		x = buildBpftrace(text)
	case full:
		x = buildC(text, -1)
	default:
		x = buildC(text, off)
	}
	indexCache.Lock()
	e := &indexCache.entries[indexCache.next]
	e.d, e.text, e.x = d, text, x
	indexCache.next = (indexCache.next + 1) % len(indexCache.entries)
	indexCache.Unlock()
	return x
}

// Definition is where the name under the cursor is declared: the
// declaration in the innermost scope that declares it before the use
// (C: locals, parameters, globals, functions, maps, macros, enum
// constants; bpftrace: a `let`, else the first assignment of a $variable
// in its probe or of an @map in the script). A name declared nowhere in
// the document, a struct field and a number have none.
func Definition(text string, off int, d analysis.Dialect) (analysis.Span, bool) {
	x := indexFor(text, d, off, false)
	if x == nil {
		return analysis.Span{}, false
	}
	o, ok := x.at(off)
	if !ok || x.ents[o.ent].kind == entExternal {
		return analysis.Span{}, false
	}
	return x.ents[o.ent].def, true
}

// References lists, in text order, every occurrence of what the name
// under the cursor refers to; includeDecl adds its declarations (for a
// bpftrace name, the occurrence Definition returns). A name declared
// nowhere in the document has as references the other uses of it that
// are declared nowhere either.
func References(text string, off int, d analysis.Dialect, includeDecl bool) []analysis.Span {
	x := indexFor(text, d, off, true)
	if x == nil {
		return nil
	}
	o, ok := x.at(off)
	if !ok {
		return nil
	}
	var out []analysis.Span
	for _, r := range x.refs(o.ent) {
		if includeDecl || !r.decl {
			out = append(out, r.span)
		}
	}
	return out
}

// ErrRename is the error every refused rename wraps.
var ErrRename = errors.New("cannot rename")

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRename, fmt.Sprintf(format, args...))
}

// PrepareRename is the span a rename at off would replace (for a
// bpftrace name, with its sigil), or why there is nothing to rename.
func PrepareRename(text string, off int, d analysis.Dialect) (analysis.Span, error) {
	x := indexFor(text, d, off, true)
	if x == nil {
		return analysis.Span{}, refuse("renaming needs a C or bpftrace document")
	}
	o, err := x.renameTarget(off)
	if err != nil {
		return analysis.Span{}, err
	}
	return o.span, nil
}

func (x *index) renameTarget(off int) (*occ, error) {
	o, ok := x.at(off)
	if !ok {
		return nil, refuse("no variable, function, map or macro here")
	}
	e := x.ents[o.ent]
	switch {
	case e.kind == entExternal:
		return nil, refuse("%s is not declared in this document", e.name)
	case x.dialect == analysis.DialectBpftrace && e.kind == entMacro:
		return nil, refuse("renaming a bpftrace macro is not supported")
	case x.dialect == analysis.DialectC && e.scope != 0 && x.macroNames[e.name]:
		return nil, refuse("%s also appears in a macro body, which may or may not refer to this %s", e.name, e.name)
	}
	return o, nil
}

// Rename returns the edits that rename what the name under the cursor
// refers to, everywhere it is referenced, to newName. It refuses (with an
// error wrapping ErrRename) a name that is not an identifier of the
// dialect or is a keyword, and a rename that would change what any name
// refers to: newName declared in the same scope, a reference that a
// declaration of newName in an inner scope would capture, or a use of
// newName that the renamed declaration would capture.
func Rename(text string, off int, d analysis.Dialect, newName string) ([]analysis.Edit, error) {
	x := indexFor(text, d, off, true)
	if x == nil {
		return nil, refuse("renaming needs a C or bpftrace document")
	}
	o, err := x.renameTarget(off)
	if err != nil {
		return nil, err
	}
	ent := o.ent
	e := x.ents[ent]
	if newName, err = x.validName(e, newName); err != nil {
		return nil, err
	}
	if newName != e.name {
		if err := x.collisions(ent, newName); err != nil {
			return nil, err
		}
	}
	var edits []analysis.Edit
	for _, r := range x.refs(ent) {
		edits = append(edits, analysis.Edit{Span: r.span, NewText: newName})
	}
	return edits, nil
}

// collisions reports why renaming entity ent to name would change what
// some name in the document refers to, or nil.
func (x *index) collisions(ent int, name string) error {
	e := x.ents[ent]
	if other, ok := x.scopes[e.scope].names[name]; ok && other != ent {
		return refuse("%s is already declared in the same scope", name)
	}
	if x.dialect == analysis.DialectC {
		for i := range x.ents {
			if x.ents[i].kind == entMacro && x.ents[i].name == name {
				return refuse("%s is a macro: the preprocessor would replace the new name", name)
			}
		}
		if e.kind == entMacro {
			for i := range x.occs {
				if x.occs[i].name == name {
					return refuse("%s is used in this document: a macro of that name would replace it", name)
				}
			}
		}
		if e.scope != 0 && x.macroNames[name] {
			return refuse("%s appears in a macro body, which the renamed %s could capture", name, e.name)
		}
	}
	// renamed is the entity a use of name at o would refer to once ent
	// is called name.
	renamed := func(o *occ) int {
		for s := o.scope; s >= 0; s = x.scopes[s].parent {
			if s == e.scope && (x.scopes[s].hoisted || e.pos <= o.span.Start) {
				return ent
			}
			if f, ok := x.scopes[s].names[name]; ok && f != ent && (x.scopes[s].hoisted || x.ents[f].pos <= o.span.Start) {
				return f
			}
		}
		return -1
	}
	for i := range x.occs {
		o := &x.occs[i]
		if o.decl {
			continue
		}
		switch {
		case o.ent == ent:
			// A reference that an inner declaration of name would
			// capture.
			if got := renamed(o); got != ent {
				return refuse("a declaration of %s would capture the reference on line %d", name, x.line(o.span.Start))
			}
		case o.name == name:
			// A use of name that the renamed declaration would capture.
			if got := renamed(o); got == ent {
				return refuse("the renamed %s would capture the use of %s on line %d", e.name, name, x.line(o.span.Start))
			}
		}
	}
	return nil
}

// cKeywords are C's keywords (C23's included) and the GNU spellings
// eBPF programs use: none can name a variable.
var cKeywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`auto break case char const continue default do double else enum extern
		float for goto if inline int long register restrict return short signed sizeof static struct switch
		typedef union unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex _Generic
		_Imaginary _Noreturn _Static_assert _Thread_local alignas alignof bool constexpr false nullptr
		static_assert thread_local true typeof typeof_unqual asm __asm__ __attribute__ __typeof__
		__inline__ __volatile__ __restrict__ __extension__ __builtin_offsetof`) {
		cKeywords[k] = true
	}
}

func isIdent(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWord(s[i]) {
			return false
		}
	}
	return true
}

// validName checks a new name for entity e and returns it as written in
// the document: a bpftrace name given without its sigil gets e's.
func (x *index) validName(e entity, name string) (string, error) {
	if x.dialect == analysis.DialectBpftrace {
		sigil := e.name[:1]
		if name != "" && name[0] != '$' && name[0] != '@' {
			name = sigil + name
		}
		if name == "" || name[:1] != sigil {
			return "", refuse("%s is a %s; its new name must start with %s", e.name, map[string]string{"$": "variable", "@": "map"}[sigil], sigil)
		}
		if !isIdent(name[1:]) {
			return "", refuse("%q is not a bpftrace %s name", name, map[string]string{"$": "variable", "@": "map"}[sigil])
		}
		return name, nil
	}
	switch {
	case !isIdent(name):
		return "", refuse("%q is not a C identifier", name)
	case cKeywords[name]:
		return "", refuse("%s is a C keyword", name)
	case x.typeNames[name]:
		return "", refuse("%s names a type in this document", name)
	}
	return name, nil
}
