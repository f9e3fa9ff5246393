package bpftrace

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// includeScope is where a script's includes may be read from: bpftrace
// searches the include paths and the system headers; the script's own
// directory is allowed for an absolute include.
func includeScope(opts Options) kb.IncludeScope {
	sc := kb.IncludeScope{Paths: opts.IncludePaths}
	if opts.Path != "" && opts.Path != "-" {
		sc.Dir = filepath.Dir(opts.Path)
	}
	return sc
}

const includeNote = "an include is used only when it is a regular file in the script's directory (or below), an include path (includePaths, KGENT_INCLUDE_PATHS) or the system header directories; this one was not opened"

// checkIncludes reports KG506 for an #include the preprocessor may read
// (not one under #ifndef BPFTRACE_HAVE_BTF) that names a file which must
// not be read (outside the allowed directories, a device, a named pipe,
// /proc/self/fd/0: nothing is opened), and for one surely read whose
// header is not installed.
func (c *checker) checkIncludes() {
	var r *kb.IncludeResolver
	for _, d := range c.file.Directives {
		if d.Kind != "include" || d.Arg == "" {
			continue
		}
		active := c.guardActive(d.Guard)
		if active == kb.No {
			continue
		}
		if r == nil {
			r = kb.NewIncludeResolver(c.inc)
		}
		// Quoted or not, bpftrace looks in the include paths and the
		// system directories (its program text has no directory).
		path, err := r.Resolve(d.Arg, false, false)
		var ie *kb.IncludeError
		if errors.As(err, &ie) {
			ie.Quoted = quotedInclude(c.src, d.Span)
			c.add(analysis.New(analysis.KG506, d.Span, ie.Error()).WithNote(includeNote))
			continue
		}
		if path == "" && c.k != nil && active == kb.Yes {
			c.add(analysis.New(analysis.KG506, d.Span, fmt.Sprintf("header %s is not installed on this machine", d.Arg)).
				WithNote("with BTF, kernel types are known without headers: remove the #include if the script only uses kernel structs"))
		}
	}
}

// quotedInclude reports whether the #include line at sp names its header
// in quotes.
func quotedInclude(src string, sp analysis.Span) bool {
	if sp.Start < 0 || sp.End > len(src) || sp.Start > sp.End {
		return false
	}
	line := src[sp.Start:sp.End]
	q, a := strings.IndexByte(line, '"'), strings.IndexByte(line, '<')
	return q >= 0 && (a < 0 || q < a)
}
