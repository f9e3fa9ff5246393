package bpfc

import (
	"path/filepath"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// includeLine is one #include of the document.
type includeLine struct {
	name   string
	quoted bool // "name", else <name>
	span   analysis.Span
}

// appendInclude adds the include a preproc_include item names (not one
// whose header comes from a macro).
func appendInclude(out []includeLine, src string, n *sitter.Node) []includeLine {
	p := n.ChildByFieldId(fieldPath)
	if p == nil {
		return out
	}
	var quoted bool
	switch p.Kind() {
	case "string_literal":
		quoted = true
	case "system_lib_string":
	default:
		return out
	}
	t := text(src, p)
	if len(t) < 2 {
		return out
	}
	return append(out, includeLine{name: t[1 : len(t)-1], quoted: quoted, span: span(p)})
}

const includeNote = "an include is read only when it is a regular file in the program's directory (or below), an include path (includePaths, KGENT_INCLUDE_PATHS) or the system header directories; this one was not opened"

// resolveIncludes finds the files the document's includes name, reports
// KG506 for one that must not be read (outside the allowed directories,
// a device, a named pipe, /proc/self/fd/0, too large: the file is never
// opened) and keeps the quoted ones the checker may read for the names
// they define.
func (c *checker) resolveIncludes(opts Options) {
	if len(c.incLines) == 0 {
		return
	}
	dir := ""
	if c.path != "" && c.path != "-" {
		dir = filepath.Dir(c.path)
	}
	r := kb.NewIncludeResolver(kb.IncludeScope{Dir: dir, Paths: opts.IncludePaths})
	for _, inc := range c.incLines {
		// vmlinux.h's types come from the kb (verification supplies
		// one generated from the target's BTF): it is not looked for.
		if inc.name == "vmlinux.h" {
			continue
		}
		read := inc.quoted
		path, err := r.Resolve(inc.name, inc.quoted, read)
		if err != nil {
			c.add(analysis.New(analysis.KG506, inc.span, err.Error()).WithNote(includeNote))
		}
		if !read {
			continue
		}
		if err != nil || path == "" {
			c.incMaybe = true
		} else {
			c.incRead = append(c.incRead, path)
		}
	}
}

// definedInIncludes reports whether a header the file includes with
// quotes defines name, or may: an include that is not found (no path,
// unsaved buffer elsewhere) or not read makes the answer "maybe", and no
// error is reported from a maybe.
func (c *checker) definedInIncludes(name string) bool {
	if c.incMaybe {
		return true
	}
	for _, p := range c.incRead {
		names, err := c.k.FileNames(p)
		if err != nil || names[name] {
			return true
		}
	}
	return false
}
