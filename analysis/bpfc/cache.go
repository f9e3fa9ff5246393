package bpfc

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"

	"github.com/kgent/kgent/analysis"
)

// checkCache keeps, for a document the server edits, what the checks
// found in each function and which types and macros each file-scope item
// defines, keyed by their text (and for functions, everything around them
// that can change the answer). A check after a one-line edit then walks
// only the function the edit touched. Entries not used by a check are
// dropped at its end, so the cache holds one file's worth. A nil cache
// keeps nothing.
type checkCache struct {
	fns, nextFns   map[string][]analysis.Finding // spans relative to the function
	locs, nextLocs map[string]localNames
}

type localNames struct {
	types  []localType
	macros []string
}

// localType is a struct or union the file defines, its name's span
// relative to the item that defines it.
type localType struct {
	kind, name string
	rel        analysis.Span
}

func newCheckCache() *checkCache {
	return &checkCache{fns: map[string][]analysis.Finding{}, locs: map[string]localNames{}}
}

func (cc *checkCache) begin() {
	if cc != nil {
		cc.nextFns, cc.nextLocs = map[string][]analysis.Finding{}, map[string]localNames{}
	}
}

func (cc *checkCache) end() {
	if cc != nil {
		cc.fns, cc.locs = cc.nextFns, cc.nextLocs
		cc.nextFns, cc.nextLocs = nil, nil
	}
}

// abort ends a check that stopped part way: what it found is incomplete,
// the cache keeps what it had.
func (cc *checkCache) abort() {
	if cc != nil {
		cc.nextFns, cc.nextLocs = nil, nil
	}
}

func (cc *checkCache) function(key string) ([]analysis.Finding, bool) {
	if cc == nil {
		return nil, false
	}
	fs, ok := cc.fns[key]
	if ok {
		cc.nextFns[key] = fs
	}
	return fs, ok
}

func (cc *checkCache) putFunction(key string, fs []analysis.Finding, start int) {
	if cc == nil {
		return
	}
	rel := make([]analysis.Finding, len(fs))
	for i, f := range fs {
		rel[i] = f.Shifted(-start)
	}
	cc.nextFns[key] = rel
}

// peekLocals looks an item up without keeping it (putLocals keeps it):
// it is called from several threads at once.
func (cc *checkCache) peekLocals(key string) (localNames, bool) {
	if cc == nil {
		return localNames{}, false
	}
	ln, ok := cc.locs[key]
	return ln, ok
}

func (cc *checkCache) putLocals(key string, ln localNames) {
	if cc != nil {
		cc.nextLocs[key] = ln
	}
}

// context fingerprints what a function's findings depend on besides its
// own text: the kb, the path (headers it includes are read beside it),
// the license, and the names the file defines.
func (c *checker) context() string {
	if c.cache == nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "%p\x00%s\x00%s\x00%v\x00", c.k, c.path, c.sum.License, c.sum.HasLicense)
	if !c.gpl() {
		// A GPL-only helper's finding offers to edit the license.
		fmt.Fprintf(h, "%v\x00", c.sum.LicenseSpan)
	}
	for _, set := range []map[string]bool{c.local, c.structs, c.ksyms} {
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(h, "%s\x01", strings.Join(keys, "\x00"))
	}
	fmt.Fprintf(h, "%s\x01", strings.Join(c.includes, "\x00"))
	fmt.Fprintf(h, "%s\x01", strings.Join(c.incRead, "\x00"))
	// What the file's guard functions test and its kconfig values decide
	// whether a use is provided for.
	guards := make([]string, 0, len(c.guards)+len(c.kconfig))
	for name, tested := range c.guards {
		ws := make([]string, 0, len(tested))
		for w := range tested {
			ws = append(ws, w)
		}
		sort.Strings(ws)
		guards = append(guards, name+"("+strings.Join(ws, ",")+")")
	}
	for name := range c.kconfig {
		guards = append(guards, "kconfig "+name)
	}
	sort.Strings(guards)
	fmt.Fprintf(h, "%s\x01", strings.Join(guards, "\x00"))
	// The path checks read the maps' definitions, the numeric macros and
	// the sizes of the file's structs.
	for _, mp := range c.sum.Maps {
		fmt.Fprintf(h, "%s", mp.Name)
		for _, f := range mp.Fields {
			fmt.Fprintf(h, "\x00%s=%s", f.Name, f.Value)
		}
		fmt.Fprintf(h, "\x01")
	}
	for _, m := range []map[string]int{c.defines, c.structSizes} {
		keys := make([]string, 0, len(m))
		for k, v := range m {
			keys = append(keys, fmt.Sprintf("%s=%d", k, v))
		}
		sort.Strings(keys)
		fmt.Fprintf(h, "%s\x01", strings.Join(keys, "\x00"))
	}
	return string(h.Sum(nil))
}

// funcKey is a function's cache key: the context, its program section
// and its text.
func (c *checker) funcKey(body string, prog *Program, start int) string {
	if c.cache == nil {
		return ""
	}
	// Fixes add text at the start of the line where the function (or
	// its SEC()) begins: how far into its line that is.
	at := start
	if prog != nil && prog.Section.Span.Start < at {
		at = prog.Section.Span.Start
	}
	col := at - (strings.LastIndexByte(c.src[:at], '\n') + 1)
	p := fmt.Sprintf("%d\x00-", col)
	if prog != nil {
		// Where the SEC() stands from the function start: a fix puts
		// types before it.
		p = fmt.Sprintf("%d\x00%s\x00%s\x00%v\x00%s\x00%d", col, prog.Section.Name, prog.Name, prog.Known, prog.Macro, prog.Span.Start-prog.Section.Span.Start)
	}
	return c.ctxKey + "\x02" + p + "\x02" + body
}
