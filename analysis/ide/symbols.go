package ide

import (
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/bpfc"
	"github.com/kgent/kgent/analysis/bpftrace"
)

// SymbolKind says what a symbol is.
type SymbolKind int

// Symbol kinds.
const (
	SymbolProgram SymbolKind = iota // a libbpf program (a function with SEC())
	SymbolMap                       // a map definition
	SymbolProbe                     // a bpftrace probe
	SymbolMacro                     // a #define
)

func (k SymbolKind) String() string {
	switch k {
	case SymbolProgram:
		return "program"
	case SymbolMap:
		return "map"
	case SymbolProbe:
		return "probe"
	case SymbolMacro:
		return "macro"
	}
	return "symbol"
}

// Symbol is one entry of a document's outline.
type Symbol struct {
	Name     string
	Detail   string
	Kind     SymbolKind
	Span     analysis.Span // the whole definition
	NameSpan analysis.Span // the name, inside Span
}

// Symbols is the outline of a document: for eBPF C the programs with
// their SEC() and the maps (from the checker's summary, nil when there is
// none), for bpftrace the probes.
func Symbols(text string, d analysis.Dialect, sum *bpfc.Summary) []Symbol {
	out := []Symbol{}
	switch d {
	case analysis.DialectC:
		if sum == nil {
			return out
		}
		for _, p := range sum.Programs {
			out = append(out, Symbol{Name: p.Name, Detail: `SEC("` + p.Section.Name + `")`, Kind: SymbolProgram, Span: p.Span, NameSpan: p.NameSpan})
		}
		for _, m := range sum.Maps {
			out = append(out, Symbol{Name: m.Name, Detail: "map", Kind: SymbolMap, Span: m.Span, NameSpan: m.NameSpan})
		}
	case analysis.DialectBpftrace:
		f, _ := bpftrace.Parse(text)
		if f == nil {
			return out
		}
		for _, p := range f.Probes {
			if len(p.Attach) == 0 {
				continue
			}
			names := make([]string, 0, len(p.Attach))
			for _, a := range p.Attach {
				names = append(names, a.Raw)
			}
			out = append(out, Symbol{Name: strings.Join(names, ", "), Detail: "probe", Kind: SymbolProbe, Span: p.Span, NameSpan: p.Attach[0].Span})
		}
	}
	for i := range out {
		out[i].Span, out[i].NameSpan = clampSpan(out[i].Span, len(text)), clampSpan(out[i].NameSpan, len(text))
		if out[i].NameSpan.Start < out[i].Span.Start || out[i].NameSpan.End > out[i].Span.End {
			out[i].NameSpan = analysis.Span{Start: out[i].Span.Start, End: out[i].Span.Start}
		}
	}
	return out
}

func clampSpan(sp analysis.Span, n int) analysis.Span {
	sp.Start = max(0, min(sp.Start, n))
	sp.End = max(sp.Start, min(sp.End, n))
	return sp
}
