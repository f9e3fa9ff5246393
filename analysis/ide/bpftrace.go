package ide

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/bpftrace"
	"github.com/kgent/kgent/kb"
)

// bpftrace facts come from kb.BpftraceSpec for the installed bpftrace
// (the version the checks use), so hover and completion say what that
// version has and what each probe type provides.

// btSpec is the language of the bpftrace release being checked (the
// pipeline's: configured, else the configured binary's); "" is the
// newest kgent knows.
func btSpec(release string) *kb.BTSpec { return kb.BpftraceSpec(release) }

// probeTypeRe finds an attach point at the start of a line: its probe
// type ("kprobe", "t", "BEGIN").
var probeTypeRe = regexp.MustCompile(`(?m)^[ \t]*([A-Za-z]+)(?::|[ \t]*(?:/|\{|$|,))`)

// probeTypeBefore is the probe type of the probe around off: the last
// attach point that starts a line before it (within lookBack).
func probeTypeBefore(text string, off int) string {
	ms := probeTypeRe.FindAllStringSubmatch(tail(text[:off], lookBack), -1)
	if len(ms) == 0 {
		return ""
	}
	return ms[len(ms)-1][1]
}

// btHover describes a bpftrace probe type, function or builtin.
func btHover(text string, sp analysis.Span, word, release string) (Hover, bool) {
	spec := btSpec(release)
	var b strings.Builder
	// A probe type: the word starts its line and a ':' follows, or it is
	// BEGIN/END.
	lineStart := strings.LastIndexByte(text[:sp.Start], '\n') + 1
	after := text[sp.End:]
	if strings.TrimSpace(text[lineStart:sp.Start]) == "" && (strings.HasPrefix(after, ":") || word == "BEGIN" || word == "END") {
		if p, ok := spec.ProbeType(word); ok {
			fmt.Fprintf(&b, "**bpftrace probe %s**", p.Name)
			if len(p.Aliases) > 0 {
				fmt.Fprintf(&b, " (also %s)", strings.Join(p.Aliases, ", "))
			}
			fmt.Fprintf(&b, ": %s\n\n`%s`", p.Desc, p.Format)
			var provides []string
			for _, bi := range [][2]string{{"args", "args"}, {"arg0", "argN"}, {"sarg0", "sargN"}, {"retval", "retval"}, {"func", "func"}} {
				if spec.Builtin(bi[0]) && spec.Provides(p.Name, bi[0]) {
					provides = append(provides, bi[1])
				}
			}
			if len(provides) > 0 {
				fmt.Fprintf(&b, "\n\nprovides %s", strings.Join(provides, ", "))
			}
			fmt.Fprintf(&b, "\n\n(bpftrace %s)", spec.Version)
			return Hover{Markdown: b.String(), Span: sp}, true
		}
	}
	if f, ok := spec.Function(word); ok {
		fmt.Fprintf(&b, "**bpftrace function %s**", word)
		if f.Desc != "" {
			b.WriteString(": " + f.Desc)
		}
		b.WriteString("\n\n" + arity(f))
		if f.Agg {
			b.WriteString(", an aggregation (assign it to a map)")
		}
		if f.Unsafe {
			b.WriteString(", unsafe: bpftrace runs it only with --unsafe")
		}
		if f.Since != "" {
			fmt.Fprintf(&b, ", since bpftrace %s", f.Since)
		}
		if f.Sig != "" {
			fmt.Fprintf(&b, "\n\n`%s` (bpftrace %s)", f.Sig, spec.Version)
		}
		for _, n := range spec.Notes(word) {
			b.WriteString("\n\n" + n)
		}
		return Hover{Markdown: b.String(), Span: sp}, true
	}
	if spec.Builtin(word) {
		fmt.Fprintf(&b, "**bpftrace builtin %s**", word)
		if d := kb.BuiltinDesc(word); d != "" {
			b.WriteString(": " + d)
		}
		if pt := probeTypeBefore(text, sp.Start); pt != "" && !spec.Provides(pt, word) {
			fmt.Fprintf(&b, "\n\nnot available in %s probes (bpftrace %s)", pt, spec.Version)
		}
		for _, n := range spec.Notes(word) {
			b.WriteString("\n\n" + n)
		}
		return Hover{Markdown: b.String(), Span: sp}, true
	}
	if doc := bpftrace.DescribeAt(spec.Version, word); doc != "" {
		return Hover{Markdown: doc, Span: sp}, true
	}
	return Hover{}, false
}

func arity(f kb.BTFunc) string {
	switch {
	case f.Max < 0:
		return fmt.Sprintf("%d or more arguments", f.Min)
	case f.Min == f.Max && f.Min == 1:
		return "1 argument"
	case f.Min == f.Max:
		return fmt.Sprintf("%d arguments", f.Min)
	}
	return fmt.Sprintf("%d to %d arguments", f.Min, f.Max)
}

// btNameItems completes bpftrace functions and builtins of the installed
// version; builtins the current probe type does not provide rank last,
// and say so.
func btNameItems(text string, off int, word, release string) []Item {
	spec := btSpec(release)
	pt := probeTypeBefore(text, off)
	var items []Item
	seen := map[string]bool{}
	for _, n := range spec.FunctionNames() {
		if !strings.HasPrefix(n, word) || seen[n] {
			continue
		}
		seen[n] = true
		f, _ := spec.Function(n)
		items = append(items, Item{Label: n, Kind: "function", Detail: "bpftrace function, " + arity(f), Doc: f.Desc})
	}
	for _, n := range spec.BuiltinNames() {
		if !strings.HasPrefix(n, word) || seen[n] {
			continue
		}
		seen[n] = true
		it := Item{Label: n, Kind: "variable", Detail: "bpftrace builtin", Doc: kb.BuiltinDesc(n)}
		if pt != "" && !spec.Provides(pt, n) {
			it.Sort = 1
			it.Detail = "not available in " + pt + " probes"
		}
		items = append(items, it)
	}
	return items
}

// btProbeItems completes a probe type at the start of a line.
func btProbeItems(word, release string) []Item {
	spec := btSpec(release)
	var items []Item
	for _, n := range spec.ProbeTypeNames() {
		p, _ := spec.ProbeType(n)
		if p.Name != n || !strings.HasPrefix(n, word) {
			continue // aliases are not offered; they complete the same probe
		}
		items = append(items, Item{Label: n, Kind: "keyword", Detail: p.Format, Doc: p.Desc})
	}
	return items
}
