package kb

import (
	"os"
	"regexp"
	"strings"
	"sync"
)

// A libbpf tool's loader (readahead.c beside readahead.bpf.c) may
// retarget a program before loading it: bpf_program__set_attach_target
// with the name the running kernel has. The C checker reads that from
// the loader, so a program whose section names an old spelling is not
// an error when the loader moves it.

// Retarget is what a loader does to one program's attach target.
type Retarget struct {
	// Targets are the function names the loader may give the program;
	// empty when they are not string literals in the loader.
	Targets []string
}

type loaderFile struct {
	mod       int64
	retargets map[string]Retarget
}

var (
	loaderMu    sync.Mutex
	loaderCache = map[string]loaderFile{}

	setTargetRe = regexp.MustCompile(`bpf_program__set_attach_target\s*\(`)
	progRefRe   = regexp.MustCompile(`progs\s*\.\s*([A-Za-z_]\w*)`)
	literalRe   = regexp.MustCompile(`"([A-Za-z_]\w*)"`)
	retargetRe  = regexp.MustCompile(`(?i)attach_target`)
)

// LoaderRetargets reads the programs a loader source retargets, by
// program (skeleton) name, cached by path and modification time: a
// statement that calls bpf_program__set_attach_target (or a function of
// the loader named *attach_target*) on obj->progs.NAME, with the string
// literals there; when there are none, those of the loader's calls of
// bpf_program__set_attach_target on a program passed in (a helper that
// tries several names). Only a regular file of at most MaxHeaderSize
// bytes is read.
func LoaderRetargets(path string) (map[string]Retarget, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	loaderMu.Lock()
	if c, ok := loaderCache[path]; ok && c.mod == st.ModTime().UnixNano() {
		loaderMu.Unlock()
		return c.retargets, nil
	}
	loaderMu.Unlock()
	data, err := ReadRegular(path, MaxHeaderSize)
	if err != nil {
		return nil, err
	}
	out := parseRetargets(string(data))
	loaderMu.Lock()
	loaderCache[path] = loaderFile{mod: st.ModTime().UnixNano(), retargets: out}
	loaderMu.Unlock()
	return out, nil
}

// parseRetargets reads a loader's text statement by statement (split at
// semicolons and braces: enough for calls).
func parseRetargets(src string) map[string]Retarget {
	out := map[string]Retarget{}
	var generic []string
	stmts := strings.FieldsFunc(src, func(r rune) bool { return r == ';' || r == '{' || r == '}' })
	for _, s := range stmts {
		if !retargetRe.MatchString(s) {
			continue
		}
		var lits []string
		for _, m := range literalRe.FindAllStringSubmatch(s, -1) {
			lits = append(lits, m[1])
		}
		refs := progRefRe.FindAllStringSubmatch(s, -1)
		if len(refs) == 0 {
			if setTargetRe.MatchString(s) {
				generic = append(generic, lits...)
			}
			continue
		}
		for _, r := range refs {
			rt := out[r[1]]
			rt.Targets = append(rt.Targets, lits...)
			out[r[1]] = rt
		}
	}
	for name, rt := range out {
		if len(rt.Targets) == 0 {
			rt.Targets = append([]string(nil), generic...)
			out[name] = rt
		}
	}
	return out
}
