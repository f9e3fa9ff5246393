package retrieval

import (
	"regexp"
	"strings"

	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/kb/examples"
)

// documents are what a kind's collection holds, with the weighted fields
// the local embedding counts.
func documents(kind string, k *kb.KB, exs []examples.Example) []doc {
	var out []doc
	switch kind {
	case KindExamples:
		for _, e := range exs {
			out = append(out, exampleDoc(e))
		}
	case KindHelpers:
		if k == nil {
			return nil
		}
		for h := range k.Helpers() {
			content, summary := h.Name, helperSummary(h.Name)
			if h.Func != nil {
				content = h.Func.Proto()
			}
			if summary != "" {
				content += "\n" + summary
			}
			out = append(out, doc{id: h.Name, content: content, fields: []Field{
				{h.Name, 3}, {summary, 1}, {protoParams(h.Func), 0.3},
			}})
		}
	case KindKfuncs:
		if k == nil {
			return nil
		}
		for f := range k.Kfuncs() {
			out = append(out, doc{id: f.Name, content: f.Func.Proto(), fields: []Field{{f.Name, 3}, {protoParams(&f.Func), 0.5}}})
		}
	case KindTracepoints:
		if k == nil {
			return nil
		}
		for tp := range k.Tracepoints() {
			var names, decls []string
			for _, f := range tp.Fields {
				names = append(names, f.Name)
				decls = append(decls, f.Type+" "+f.Name)
			}
			out = append(out, doc{id: tp.Category + ":" + tp.Name, content: strings.Join(decls, "; "), fields: []Field{
				{tp.Name, 3}, {tp.Category, 2}, {strings.Join(names, " "), 0.5},
			}})
		}
	case KindFunctions:
		if k == nil {
			return nil
		}
		seen := make(map[string]bool, k.NumFuncs())
		for f := range k.Funcs() {
			if seen[f.Name] {
				continue
			}
			seen[f.Name] = true
			out = append(out, doc{id: f.Name, content: f.Proto(), fields: []Field{{f.Name, 3}, {protoParams(f), 0.3}}})
		}
	}
	return out
}

// exampleDoc weighs an example: its title and tags say what it is about,
// its probes and the kernel names in its source say how.
func exampleDoc(e examples.Example) doc {
	return doc{id: e.Slug, title: e.Title, content: e.Description, dialect: e.Dialect, fields: []Field{
		{e.Title, 3},
		{e.Slug, 1},
		{strings.Join(e.Tags, " "), 2},
		{e.Description, 1.5},
		{strings.Join(e.Probes, " "), 1.5},
		{strings.Join(e.Facts, " "), 0.5},
		{sourceNames(e.Source), 0.3},
	}}
}

var identRe = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]{2,}`)

// sourceNames are the kernel-looking identifiers of a program (those with
// an underscore: tcp_v4_connect, sys_enter_openat, skb_drop_reason).
func sourceNames(src string) string {
	var out []string
	seen := map[string]bool{}
	for _, id := range identRe.FindAllString(src, -1) {
		if strings.Contains(id, "_") && !seen[id] && !strings.HasPrefix(id, "__") && !strings.HasPrefix(id, "BPF_") {
			seen[id] = true
			out = append(out, id)
		}
	}
	return strings.Join(out, " ")
}

// protoParams are a prototype's parameter types and names: struct sock
// says a function is about sockets.
func protoParams(f *kb.Func) string {
	if f == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range f.Params {
		b.WriteString(strings.TrimPrefix(strings.TrimPrefix(p.Type, "const "), "struct "))
		b.WriteByte(' ')
	}
	return b.String()
}

// helperSummary is the first paragraph of a helper's description in the
// installed headers (read at run time, never stored in the repository).
func helperSummary(name string) string {
	d := kb.HelperDoc(name)
	if d == "" {
		return ""
	}
	d = strings.TrimSpace(d)
	if i := strings.Index(d, "\n\n"); i >= 0 {
		d = d[:i]
	}
	if i := strings.Index(d, "Returns"); i >= 0 {
		d = d[:i]
	}
	return strings.Join(strings.Fields(d), " ")
}

// plain is the text an endpoint embeds for a document.
func plain(d doc) string {
	var parts []string
	for _, f := range d.fields {
		if f.Weight >= 1 && strings.TrimSpace(f.Text) != "" {
			parts = append(parts, f.Text)
		}
	}
	if d.content != "" {
		parts = append(parts, d.content)
	}
	return strings.Join(parts, "\n")
}
