package bpfc

import (
	sitter "github.com/tree-sitter/go-tree-sitter"
)

// Syntax is what the editor features (analysis/ide) read of a parse:
// the tree the checks read, with libbpf's macro shapes blanked (see
// mask), so every node keeps its offset in the original text.
type Syntax struct {
	// Tops are the top-level items in text order (of every segment).
	Tops []sitter.Node
	// Fields are the __uint/__type/__array map fields, blanked before
	// the parse: the names in their values are not in the tree.
	Fields []MapField
	// Lang is the C grammar, for kind and field ids.
	Lang *sitter.Language
}

// Parse parses src the way the checks do and calls fn with the result;
// the nodes are valid only until fn returns.
func Parse(src string, fn func(Syntax)) {
	d := &Doc{} // no check cache: nothing is checked
	d.reset(src)
	defer d.Close()
	d.mu.Lock()
	defer d.mu.Unlock()
	fn(Syntax{Tops: topLevel(d.roots()), Fields: d.m.fields, Lang: cLang})
}

// ProgMacro reports whether name is a libbpf macro that defines a
// program (BPF_KPROBE, BPF_PROG, ...): `int BPF_PROG(name, args...)`
// defines a function called name, whose parameters follow.
func ProgMacro(name string) bool { return progMacros[name] }

// FieldArgs is, for a BPF_CORE_READ-style macro, the index of its first
// argument that names a field rather than a value (BPF_CORE_READ(src,
// a, b): 1; BPF_CORE_READ_INTO(dst, src, a): 2); -1 for other names.
func FieldArgs(macro string) int {
	switch {
	case coreReadMacros[macro]:
		return 1
	case coreReadIntoMacros[macro]:
		return 2
	}
	return -1
}
