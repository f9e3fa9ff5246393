package kb

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// IncludeScope is where a program's #include lines may be read from: its
// own directory and below, the configured include directories, and the
// system headers (/usr/include with its multiarch directory,
// /usr/local/include, the kernel headers under /usr/src). Nothing else is
// ever opened for an include: not /etc/shadow, not /dev/zero, not a named
// pipe in the program's directory, not /proc/self/fd/0.
type IncludeScope struct {
	// Dir is the program's directory; "" when it has none (an unsaved
	// buffer, stdin). The file system root and /proc, /sys and /dev
	// grant nothing.
	Dir string
	// Paths are the configured include directories (the includePaths
	// setting, KGENT_INCLUDE_PATHS); relative ones are relative to the
	// working directory, as for the compiler.
	Paths []string
}

// IncludeError says why the file an #include names is not used; the file
// was not opened.
type IncludeError struct {
	Name   string // as written between the quotes or brackets
	Quoted bool
	Path   string // the file the compiler would read
	Reason string // "is outside the allowed include directories", ...
}

func (e *IncludeError) Error() string {
	s := "#include <" + e.Name + ">"
	if e.Quoted {
		s = `#include "` + e.Name + `"`
	}
	if e.Path != "" && e.Path != e.Name {
		s += " (" + e.Path + ")"
	}
	return s + " " + e.Reason
}

// Reasons an include is not used.
const (
	ReasonOutside = "is outside the allowed include directories"
)

// IncludeResolver finds the files a program's includes name, the way the
// compiler searches for them, and refuses those that must not be read.
// One resolver serves one check; it is not safe for concurrent use.
type IncludeResolver struct {
	sc        IncludeScope
	rootsDone bool
	roots     []string // real (symlink-free) directories includes may be in
}

// NewIncludeResolver returns a resolver for a program's includes.
func NewIncludeResolver(sc IncludeScope) *IncludeResolver {
	return &IncludeResolver{sc: sc}
}

// Resolve returns the file an #include names: for "name" the program's
// directory first, then the include paths, then the system directories;
// for <name> the include paths and the system directories; an absolute
// name as it is. It returns "" and no error when no directory holds the
// file (the compiler reports that), and an *IncludeError when the file the
// compiler would read is outside the allowed directories (symbolic links
// resolved first), is not a regular file, or is larger than
// MaxHeaderSize when read is set (kgent reads the file itself, not only
// the compiler). Only metadata is looked at: nothing is opened.
func (r *IncludeResolver) Resolve(name string, quoted, read bool) (string, error) {
	if name == "" {
		return "", nil
	}
	// A system header found once is found again: <bpf/bpf_helpers.h>
	// is not looked up on every keystroke.
	var key string
	if !quoted && !filepath.IsAbs(name) {
		key = strings.Join(append([]string{name}, r.sc.Paths...), "\x00")
		if p, ok := systemFound.Load(key); ok {
			return p.(string), nil
		}
	}
	p, err := r.resolve(name, quoted, read)
	if key != "" && p != "" && err == nil {
		systemFound.Store(key, p)
	}
	return p, err
}

// systemFound caches the <...> includes found in an allowed directory.
var systemFound sync.Map

func (r *IncludeResolver) resolve(name string, quoted, read bool) (string, error) {
	var cands []string
	if filepath.IsAbs(name) {
		cands = []string{filepath.Clean(name)}
	} else {
		var dirs []string
		if quoted && r.sc.Dir != "" {
			dirs = append(dirs, r.sc.Dir)
		}
		dirs = append(dirs, r.sc.Paths...)
		dirs = append(dirs, systemIncludeDirs()...)
		for _, d := range dirs {
			if d != "" {
				cands = append(cands, filepath.Join(d, name))
			}
		}
	}
	for _, p := range cands {
		st, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				continue
			}
			return "", &IncludeError{Name: name, Quoted: quoted, Path: p, Reason: "cannot be looked at: " + unwrapPathErr(err)}
		}
		return p, r.check(name, quoted, read, p, st)
	}
	return "", nil
}

// check decides whether an existing file may be read for an include.
func (r *IncludeResolver) check(name string, quoted, read bool, p string, st fs.FileInfo) error {
	fail := func(path, reason string) error {
		return &IncludeError{Name: name, Quoted: quoted, Path: path, Reason: reason}
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		// /proc/self/fd/N of a pipe links to "pipe:[N]", which is no path.
		if !st.Mode().IsRegular() {
			return fail(p, NotRegular(st.Mode()))
		}
		return fail(p, "cannot be resolved: "+unwrapPathErr(err))
	}
	if abs, err := filepath.Abs(real); err == nil {
		real = abs
	}
	if !st.Mode().IsRegular() {
		return fail(real, NotRegular(st.Mode()))
	}
	if !r.allowed(real) {
		return fail(real, ReasonOutside)
	}
	if read && st.Size() > MaxHeaderSize {
		return fail(real, "is larger than "+sizeText(MaxHeaderSize))
	}
	return nil
}

// allowed reports whether a symlink-free absolute path is inside one of
// the allowed directories.
func (r *IncludeResolver) allowed(real string) bool {
	if pseudoFS(real) {
		return false
	}
	if !r.rootsDone {
		r.rootsDone = true
		if d := realDir(r.sc.Dir); d != "" && d != string(filepath.Separator) && !pseudoFS(d) {
			r.roots = append(r.roots, d)
		}
		for _, p := range r.sc.Paths {
			if d := realDir(p); d != "" {
				r.roots = append(r.roots, d)
			}
		}
		r.roots = append(r.roots, systemRoots()...)
	}
	for _, root := range r.roots {
		if within(root, real) {
			return true
		}
	}
	return false
}

// realDir is a directory's absolute, symlink-free path, or "".
func realDir(d string) string {
	if d == "" {
		return ""
	}
	abs, err := filepath.Abs(d)
	if err != nil {
		return ""
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return ""
	}
	return real
}

// within reports whether p is root or below it.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// pseudoFS reports whether a path is in /proc, /sys or /dev, which hold
// no headers whatever directory is configured.
func pseudoFS(p string) bool {
	for _, d := range []string{"/proc", "/sys", "/dev"} {
		if within(d, p) {
			return true
		}
	}
	return false
}

// systemIncludeDirs are the directories searched for system headers:
// /usr/include, /usr/local/include, Debian's multiarch directory
// (sys/socket.h lives there) and the running kernel's headers. They are
// listed once: globbing /usr/include on every check costs a millisecond.
var systemIncludeDirs = sync.OnceValue(func() []string {
	dirs := append([]string{}, headerDirs...)
	if multi, _ := filepath.Glob("/usr/include/*-linux-gnu*"); len(multi) > 0 {
		dirs = append(dirs, multi...)
	}
	if rel := hostRelease(); rel != "" {
		dirs = append(dirs, "/lib/modules/"+rel+"/build/include", "/usr/src/linux-headers-"+rel+"/include")
	}
	return dirs
})

// systemRoots are the real directories of the system headers; /usr/src
// holds the kernel headers, whose directories link into one another
// (Debian's linux-headers-*-common).
var systemRoots = sync.OnceValue(func() []string {
	var out []string
	for _, d := range append(systemIncludeDirs(), "/usr/src") {
		if r := realDir(d); r != "" {
			out = append(out, r)
		}
	}
	return out
})

func unwrapPathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
