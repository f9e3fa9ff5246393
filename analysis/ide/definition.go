package ide

import (
	"regexp"

	"github.com/kgent/kgent/analysis"
)

// Definition finds, within the document, where the name under the cursor
// is defined: a #define, a map definition (`} name SEC(".maps")`), a C
// declaration (global, local or parameter), or the first assignment of a
// bpftrace $variable or @map. Comments and strings are not searched.
func Definition(text string, off int, d analysis.Dialect) (analysis.Span, bool) {
	word, sp := WordAt(text, off)
	if word == "" || word[0] >= '0' && word[0] <= '9' {
		return analysis.Span{}, false
	}
	if sp.Start > 0 && (text[sp.Start-1] == '$' || text[sp.Start-1] == '@') {
		word = string(text[sp.Start-1]) + word
	}
	masked := mask(text)
	q := regexp.QuoteMeta(word)
	pats := []string{`(?m)^[ \t]*#[ \t]*define[ \t]+(` + q + `)\b`}
	switch {
	case d == analysis.DialectBpftrace && (word[0] == '$' || word[0] == '@'):
		pats = append(pats,
			`\blet\s+(`+q+`)\b`,
			`(`+q+`)(?:\[[^\]\n]*\])?\s*(?:=[^=]|[-+*/|&^]=|\+\+|--)`)
	case d == analysis.DialectC:
		pats = append(pats,
			`\}\s*(`+q+`)\s+SEC\(`,
			`(?:\b[A-Za-z_]\w*|\*)[ \t*]*\b(`+q+`)\s*(?:=[^=]|;|\[|,|\)|:)`)
	}
	for _, p := range pats {
		re := regexp.MustCompile(p)
		for _, m := range re.FindAllSubmatchIndex(masked, -1) {
			if d == analysis.DialectC && p == pats[len(pats)-1] && !isDecl(masked, m[0], m[2]) {
				continue
			}
			return analysis.Span{Start: m[2], End: m[3]}, true
		}
	}
	return analysis.Span{}, false
}

// notTypes are words that precede an identifier without declaring it.
var notTypes = map[string]bool{"return": true, "else": true, "case": true, "goto": true, "sizeof": true,
	"if": true, "while": true, "for": true, "switch": true, "do": true, "break": true, "continue": true}

// isDecl reports whether the match at [start, name) reads as a
// declaration: a type word (not a keyword) or a '*' right before the name,
// and not a member access or a call argument after a comma.
func isDecl(b []byte, start, name int) bool {
	w := start
	for w < name && isWord(b[w]) {
		w++
	}
	if notTypes[string(b[start:w])] {
		return false
	}
	// The type word must not itself follow -> or . (a member access).
	p := start - 1
	for p >= 0 && (b[p] == ' ' || b[p] == '\t') {
		p--
	}
	if p >= 0 && (b[p] == '.' || b[p] == '>' || b[p] == '=' || b[p] == '(' && !isParamList(b, p)) {
		return false
	}
	return true
}

// isParamList guesses whether the '(' at p opens a function's parameter
// list (a type name follows) rather than a call: the word before '(' is
// preceded by another word (`int f(`) or by a macro name in capitals
// (BPF_PROG(name, ...)).
func isParamList(b []byte, p int) bool {
	e := p
	for e > 0 && (b[e-1] == ' ' || b[e-1] == '\t') {
		e--
	}
	s := e
	for s > 0 && isWord(b[s-1]) {
		s--
	}
	if s == e {
		return false
	}
	if isUpperMacro(b[s:e]) {
		return true
	}
	q := s
	for q > 0 && (b[q-1] == ' ' || b[q-1] == '\t' || b[q-1] == '*' || b[q-1] == '\n') {
		q--
	}
	return q > 0 && isWord(b[q-1])
}

func isUpperMacro(w []byte) bool {
	for _, c := range w {
		if c >= 'a' && c <= 'z' {
			return false
		}
	}
	return len(w) > 0
}
