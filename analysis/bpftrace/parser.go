package bpftrace

import (
	"context"
	"fmt"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// maxDepth bounds nesting: of brackets and blocks while parsing, and of
// the finished tree (bound cuts what lies deeper, operator chains
// included), so every recursive walk over the tree stays shallow. Past it
// one KG101 is reported and the rest is not analysed. maxSteps bounds the
// parser's work on any input (a token is read at most a few times, casts
// re-read their parenthesis).
const maxDepth = 1000

func maxSteps(n int) int { return 8*n + 1024 }

type parser struct {
	lx    lexer
	tok   token
	file  *File
	errs  []analysis.Finding
	depth int
	steps int
	// lastErr avoids a cascade of findings at one place.
	lastErrPos int
	lastEnd    int
	// guards is the stack of open preprocessor conditions.
	guards []string
	// deep is set once KG101 is reported: one per file.
	deep bool
	ctx  context.Context
	// quiet silences parser errors after a lexer error (an unterminated
	// string or comment) until the next probe: one typo, one finding.
	quiet   bool
	lexErrs int
	// macroSeen: a macro was defined (C definitions must come first).
	macroSeen bool
}

// Parse parses src. It never fails: syntax errors come back as KG100
// findings and the tree holds everything that could be read.
func Parse(src string) (*File, []analysis.Finding) {
	return parse(context.Background(), src)
}

// parse is Parse that stops reading (as at the end of the text) once ctx
// ends.
func parse(ctx context.Context, src string) (*File, []analysis.Finding) {
	p := &parser{lx: lexer{src: src}, file: &File{Enums: map[string]analysis.Span{}, Structs: map[string]analysis.Span{}, StructFields: map[string][]string{}, Macros: map[string]analysis.Span{}, Features: map[string]analysis.Span{}}, lastErrPos: -1, ctx: ctx}
	p.advance()
	p.parseFile()
	p.bound()
	for _, e := range p.lx.errs {
		p.errs = append(p.errs, analysis.New(analysis.KG100, analysis.Span{Start: e.pos, End: e.end}, e.msg))
	}
	return p.file, p.errs
}

func (p *parser) advance() {
	p.steps++
	p.lastEnd = p.tok.end
	if p.steps > maxSteps(len(p.lx.src)) || p.steps&1023 == 0 && p.ctx.Err() != nil {
		// A bug guard (no input needs this many tokens), or the caller
		// gave up: stop cleanly.
		p.tok = token{kind: tEOF, pos: len(p.lx.src), end: len(p.lx.src)}
		return
	}
	p.tok = p.lx.next()
	if len(p.lx.errs) > p.lexErrs {
		p.lexErrs = len(p.lx.errs)
		p.quiet = true
	}
}

func (p *parser) is(text string) bool { return p.tok.kind == tPunct && p.tok.text == text }

func (p *parser) errorAt(s analysis.Span, format string, args ...any) {
	if s.Start == p.lastErrPos || p.quiet {
		return
	}
	p.lastErrPos = s.Start
	if s.End <= s.Start {
		s.End = s.Start + 1
		if s.End > len(p.lx.src) {
			s.Start = max(0, len(p.lx.src)-1)
			s.End = len(p.lx.src)
		}
	}
	p.errs = append(p.errs, analysis.New(analysis.KG100, s, fmt.Sprintf(format, args...)))
}

func (p *parser) span() analysis.Span { return analysis.Span{Start: p.tok.pos, End: p.tok.end} }

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tString:
		return "string " + t.text
	}
	return fmt.Sprintf("%q", t.text)
}

func (p *parser) expect(text string) bool {
	if p.is(text) {
		p.advance()
		return true
	}
	p.errorAt(p.span(), "expected %q, found %s", text, describe(p.tok))
	return false
}

func (p *parser) parseFile() {
	// Shebang.
	if strings.HasPrefix(p.lx.src, "#!") {
		end := strings.IndexByte(p.lx.src, '\n')
		if end < 0 {
			end = len(p.lx.src)
		}
		p.lx.pos = end
		p.advance()
	}
	for p.tok.kind != tEOF {
		start := p.tok.pos
		if p.quiet && (len(p.lx.errs) == 0 || p.lx.errs[len(p.lx.errs)-1].end <= start) {
			p.quiet = false
		}
		cdef := p.tok.kind == tIdent && (p.tok.text == "enum" || p.tok.text == "struct" || p.tok.text == "union")
		if (cdef || p.tok.kind == tDirective) && p.file.Config != (analysis.Span{}) && len(p.file.Probes) == 0 {
			// Every release wants C definitions and preprocessor lines
			// before the config block.
			p.errorAt(p.span(), "C definitions and preprocessor directives must come before the config block")
		}
		switch {
		case p.tok.kind == tDirective:
			p.directive()
			p.advance()
		case cdef:
			if len(p.file.Probes) > 0 || p.macroSeen {
				// Every release wants C definitions first.
				p.errorAt(p.span(), "C definitions (%s) must come before every probe and macro", p.tok.text)
			}
			if p.tok.text == "enum" {
				p.enumDef()
			} else {
				p.structDef()
			}
		case p.tok.kind == tIdent && p.tok.text == "config":
			p.config()
		case p.tok.kind == tIdent && p.tok.text == "macro":
			p.macroSeen = true
			p.feature("macro", p.span())
			p.macroDef()
		case p.tok.kind == tIdent && (p.tok.text == "let" || p.tok.text == "import"):
			// let @map = lruhash(N); and import "x"; (newer bpftrace)
			word := p.tok.text
			if word == "let" {
				word = "map-decl"
			}
			p.feature(word, p.span())
			p.advance()
			if p.tok.kind != tEOF {
				x := p.assignExpr()
				if a, ok := x.(*Assign); ok {
					if m, ok := a.LHS.(*MapRef); ok {
						p.file.MapDecls = append(p.file.MapDecls, m.Name)
						p.file.MapDeclSpans = append(p.file.MapDeclSpans, analysis.Span{Start: m.Span.Start, End: m.Span.Start + len(m.Name)})
						kind := ""
						if c, ok := Unparen(a.RHS).(*Call); ok {
							kind = c.Name
						}
						p.file.MapDeclKinds = append(p.file.MapDeclKinds, ConfigEntry{Key: m.Name, Value: kind, Span: a.RHS.NodeSpan()})
					}
				}
				if s, ok := x.(*StrLit); ok && word == "import" {
					p.file.Imports = append(p.file.Imports, ConfigEntry{Key: s.Value, Span: s.Span})
				}
			}
			if p.is(";") {
				p.advance()
			}
		case p.is(";"):
			// Definitions take their own ';'; none follows a probe or
			// a config block in any release.
			p.errorAt(p.span(), "unexpected ';' between probes: remove it")
			p.advance()
		default:
			p.probe()
		}
		if p.tok.pos == start && p.tok.kind != tEOF {
			p.advance() // always make progress
		}
	}
}

func (p *parser) directive() {
	text := strings.TrimSpace(p.tok.text)
	d := Directive{Span: analysis.Span{Start: p.tok.pos, End: p.tok.end}}
	rest := strings.TrimSpace(strings.TrimPrefix(text, "#"))
	word, arg, _ := strings.Cut(rest, " ")
	d.Kind = word
	arg = strings.TrimSpace(arg)
	if i := strings.Index(arg, "//"); i >= 0 && word != "define" {
		arg = strings.TrimSpace(arg[:i])
	}
	if n := len(p.guards); n > 0 {
		d.Guard = p.guards[n-1]
	}
	switch word {
	case "ifdef":
		p.guards = append(p.guards, arg)
	case "ifndef":
		p.guards = append(p.guards, "!"+arg)
	case "if":
		p.guards = append(p.guards, arg)
	case "elif":
		if n := len(p.guards); n > 0 {
			p.guards[n-1] = arg
		}
	case "else":
		if n := len(p.guards); n > 0 {
			p.guards[n-1] = negateGuard(p.guards[n-1])
		}
	case "endif":
		if n := len(p.guards); n > 0 {
			p.guards = p.guards[:n-1]
		}
	case "include":
		d.Arg = strings.Trim(arg, "<>\" \t")
	case "define":
		name := arg
		if i := strings.IndexAny(name, " \t("); i >= 0 {
			name = name[:i]
		}
		d.Arg = name
		p.file.Macros[name] = d.Span
	}
	p.file.Directives = append(p.file.Directives, d)
}

// enumDef reads `enum [name] { A, B = 2, ... };` and records the constants.
func (p *parser) enumDef() {
	p.advance()
	for p.tok.kind == tIdent { // more than a name: 0.27 takes C's text as it is
		p.advance()
	}
	if !p.is("{") {
		p.errorAt(p.span(), "expected an enum definition, found %s", describe(p.tok))
		return
	}
	p.advance()
	expectName := true
	for !p.is("}") && p.tok.kind != tEOF {
		switch {
		case p.is(","):
			expectName = true
		case expectName && p.tok.kind == tIdent:
			p.file.Enums[p.tok.text] = p.span()
			expectName = false
		}
		p.advance()
	}
	p.expect("}")
	if p.is(";") {
		p.advance()
	}
}

// structBody reads a struct body from '{' to its '}' and returns the
// field names, or nil when a member is too complex to be sure of (nested
// types, function pointers): then every field counts as known.
func (p *parser) structBody() []string {
	var fields []string
	sure := true
	depth := 0
	last := ""
	named := false // the declaration's name was seen (before [N] or :N)
	for p.tok.kind != tEOF {
		switch {
		case p.is("{"):
			depth++
			if depth > 1 {
				sure = false
			}
		case p.is("}"):
			depth--
			if depth == 0 {
				p.advance()
				if !sure {
					return nil
				}
				return fields
			}
		case depth == 1 && p.is("("):
			sure = false
		case depth == 1 && (p.is("[") || p.is(":")) && !named:
			named = true
			if last != "" {
				fields = append(fields, last)
			}
		case depth == 1 && (p.is(";") || p.is(",")):
			if !named && last != "" {
				fields = append(fields, last)
			}
			named = false
			last = ""
		case depth == 1 && p.tok.kind == tIdent && !named:
			last = p.tok.text
		}
		p.advance()
	}
	return nil
}

// negateGuard is the condition of an #else branch.
func negateGuard(g string) string {
	switch {
	case strings.HasPrefix(g, "!") && isName(g[1:]):
		return g[1:]
	case isName(g):
		return "!" + g
	}
	return "!(" + g + ")"
}

func isName(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return true
}

// skipBalanced skips from an opening brace to its matching close.
func (p *parser) skipBalanced(open, close string) {
	depth := 0
	for p.tok.kind != tEOF {
		if p.is(open) {
			depth++
		} else if p.is(close) {
			depth--
			if depth == 0 {
				p.advance()
				return
			}
		}
		p.advance()
	}
}

func (p *parser) structDef() {
	start := p.tok.pos
	p.advance()
	name := ""
	if p.tok.kind == tIdent {
		name = p.tok.text
		p.file.Structs[name] = analysis.Span{Start: start, End: p.tok.end}
		p.advance()
		for p.tok.kind == tIdent { // more than a name: 0.27 takes C's text as it is
			p.advance()
		}
	}
	if p.is("{") {
		// The body is C, read by bpftrace as raw text to the matching
		// '}' (a stray quote in it is no unterminated string): its
		// fields are read from that text alone.
		if end := matchingBrace(p.lx.src, p.tok.pos); end > 0 {
			q := &parser{lx: lexer{src: p.lx.src[:end], pos: p.tok.pos}, file: p.file, ctx: p.ctx, lastErrPos: -1}
			q.advance()
			fields := q.structBody()
			if name != "" {
				p.file.StructFields[name] = fields
			}
			p.lx.pos = end
			p.advance()
			if p.is(";") {
				p.advance()
			}
			return
		}
		fields := p.structBody()
		if name != "" {
			p.file.StructFields[name] = fields
		}
		if p.is(";") {
			p.advance()
		}
		return
	}
	p.errorAt(p.span(), "expected a struct definition, found %s", describe(p.tok))
}

// matchingBrace is the offset just past the '}' that closes the '{' at
// open, counting braces in the raw text, or -1 when none does.
func matchingBrace(src string, open int) int {
	depth := 0
	for i := open; i < len(src); i++ {
		switch src[i] {
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// feature records the first use of a construct newer than 0.17.
func (p *parser) feature(name string, sp analysis.Span) {
	if _, seen := p.file.Features[name]; !seen {
		p.file.Features[name] = sp
	}
}

func (p *parser) config() {
	start := p.tok.pos
	p.feature("config", p.span())
	p.advance()
	if !p.expect("=") {
		return
	}
	if !p.is("{") {
		p.errorAt(p.span(), "expected '{' after config =")
		return
	}
	if len(p.file.Probes) > 0 {
		p.file.ConfigAfterProbe = true
	}
	p.advance() // {
	for !p.is("}") && p.tok.kind != tEOF {
		if p.tok.kind == tIdent {
			key := ConfigEntry{Key: p.tok.text, Span: p.span()}
			p.advance()
			if p.is("=") {
				p.advance()
				key.Value = p.tok.text
				p.advance()
			}
			p.file.ConfigKeys = append(p.file.ConfigKeys, key)
			continue
		}
		p.advance()
	}
	p.expect("}")
	p.file.Config = analysis.Span{Start: start, End: p.tok.pos}
}

func (p *parser) macroDef() {
	p.advance()
	if p.tok.kind == tIdent {
		p.file.Macros[p.tok.text] = p.span()
		p.advance()
	}
	if p.is("(") {
		p.skipBalanced("(", ")")
	}
	if p.is("{") {
		// The body is not parsed; the maps it names may be assigned
		// there (opensnoop.bt of 0.27 fills @paths in a macro).
		depth := 0
		for p.tok.kind != tEOF {
			switch {
			case p.is("{"):
				depth++
			case p.is("}"):
				depth--
			case p.tok.kind == tMap:
				if p.file.MacroMaps == nil {
					p.file.MacroMaps = map[string]bool{}
				}
				p.file.MacroMaps[p.tok.text] = true
			}
			p.advance()
			if depth == 0 {
				return
			}
		}
		return
	}
	p.errorAt(p.span(), "expected a macro body")
}

// probe parses attach points, an optional predicate and a block.
func (p *parser) probe() {
	pr := &Probe{}
	start := p.tok.pos
	// Re-lex the attach points from the raw text.
	p.lx.pos = p.tok.pos
	for {
		t := p.lx.rawAttach()
		if t.text == "" {
			p.advance()
			p.errorAt(p.span(), "expected a probe (e.g. tracepoint:syscalls:sys_enter_openat), found %s", describe(p.tok))
			p.recoverToNextProbe()
			return
		}
		ap := splitAttach(t)
		if ap.SpaceAfterColon {
			p.feature("space-after-colon", ap.Span)
		}
		pr.Attach = append(pr.Attach, ap)
		p.lx.skipSpace()
		if p.lx.pos < len(p.lx.src) && p.lx.src[p.lx.pos] == ',' {
			p.lx.pos++
			p.lx.skipSpace()
			// A trailing comma after the last attach point.
			if p.lx.pos < len(p.lx.src) && (p.lx.src[p.lx.pos] == '{' || p.lx.src[p.lx.pos] == '/') {
				break
			}
			continue
		}
		break
	}
	p.advance()
	if p.is("/") {
		p.advance()
		pr.Pred = p.expr(true)
		if !p.is("/") {
			p.errorAt(p.span(), "expected '/' to close the predicate, found %s", describe(p.tok))
		} else {
			p.advance()
		}
	}
	if !p.is("{") {
		last := pr.Attach[len(pr.Attach)-1]
		if p.tok.kind == tEOF {
			p.errorAt(last.Span, "probe %s has no block: expected '{'", last.Raw)
		} else {
			p.errorAt(p.span(), "expected '{' to start the probe's block, found %s", describe(p.tok))
		}
		p.recoverToNextProbe()
		pr.Span = analysis.Span{Start: start, End: p.tok.pos}
		p.file.Probes = append(p.file.Probes, pr)
		return
	}
	pr.Body = p.block()
	pr.Span = analysis.Span{Start: start, End: pr.Body.Span.End}
	p.file.Probes = append(p.file.Probes, pr)
}

// recoverToNextProbe skips to a '}' at depth 0 or a token that starts a
// line and looks like a probe.
func (p *parser) recoverToNextProbe() {
	depth := 0
	for p.tok.kind != tEOF {
		switch {
		case p.is("{"):
			depth++
		case p.is("}"):
			depth--
			if depth <= 0 {
				p.advance()
				return
			}
		}
		p.advance()
	}
}

func splitAttach(t token) *AttachPoint {
	ap := &AttachPoint{Raw: t.text, Span: analysis.Span{Start: t.pos, End: t.end}}
	raw := strings.Builder{}
	var parts []string
	var spans []analysis.Span
	cur := strings.Builder{}
	curStart := t.pos
	inQuote := false
	for i := 0; i < len(t.text); i++ {
		c := t.text[i]
		if !inQuote && strings.HasPrefix(t.text[i:], "/*") {
			// A comment, read as white space.
			if k := strings.Index(t.text[i+2:], "*/"); k >= 0 {
				i += k + 3
				ap.SpaceAfterColon = true
				continue
			}
		}
		if isSpace(c) && !inQuote {
			// White space around a ':' (releases before 0.27 allow it).
			if cur.Len() == 0 {
				curStart = t.pos + i + 1
			}
			ap.SpaceAfterColon = true
			continue
		}
		raw.WriteByte(c)
		if c == '"' {
			inQuote = !inQuote
			continue
		}
		if c == ':' && !inQuote {
			parts = append(parts, cur.String())
			spans = append(spans, analysis.Span{Start: curStart, End: t.pos + i})
			cur.Reset()
			curStart = t.pos + i + 1
			continue
		}
		cur.WriteByte(c)
	}
	parts = append(parts, cur.String())
	spans = append(spans, analysis.Span{Start: curStart, End: t.end})
	ap.Raw = raw.String()
	ap.Type = parts[0]
	ap.Parts = parts[1:]
	ap.Spans = spans[1:]
	return ap
}

func (p *parser) block() *Block {
	b := &Block{Span: analysis.Span{Start: p.tok.pos}}
	p.advance() // {
	p.depth++
	defer func() { p.depth-- }()
	for !p.is("}") && p.tok.kind != tEOF {
		start := p.tok.pos
		if p.is(";") {
			// No release takes an empty statement (`;;`, `{ ; }`).
			p.errorAt(p.span(), "empty statement: remove this ';'")
			p.advance()
			continue
		}
		if p.looksLikeProbe() {
			// The block lost its '}': end it here and let the next probe
			// parse (one finding, at the probe, for every open block).
			p.errorAt(analysis.Span{Start: b.Span.Start, End: b.Span.Start + 1}, "block is not closed: missing '}' before the next probe")
			b.Span.End = p.lastEnd
			return b
		}
		s := p.stmt()
		if s != nil {
			b.Stmts = append(b.Stmts, s)
		}
		if p.is(";") {
			switch s.(type) {
			case *LoopStmt:
				// After a loop's block a ';' is an empty statement,
				// which no release takes.
				p.errorAt(p.span(), "a loop's block takes no ';' after it: remove it")
			case *IfStmt, *BlockStmt:
				// Where an if and a block are expressions (0.24 on).
				p.feature("block-semicolon", p.span())
			}
			p.advance()
		} else if !p.is("}") && p.tok.pos != start && !p.lastWasBlock(b) {
			p.errorAt(p.span(), "expected ';' or '}' after the statement, found %s", describe(p.tok))
			p.syncStmt()
		}
		if p.tok.pos == start {
			p.errorAt(p.span(), "unexpected %s", describe(p.tok))
			p.syncStmt()
			if p.tok.pos == start {
				p.advance()
			}
		}
	}
	if p.tok.kind == tEOF {
		p.errorAt(analysis.Span{Start: b.Span.Start, End: b.Span.Start + 1}, "block is not closed: missing '}'")
		b.Span.End = p.tok.pos
		return b
	}
	b.Span.End = p.tok.end
	p.advance()
	return b
}

// looksLikeProbe tells whether the current token, first on its line,
// starts a probe (`NAME:...`, `BEGIN {`, `END,`) rather than a statement.
func (p *parser) looksLikeProbe() bool {
	if p.tok.kind != tIdent || !p.lx.atLineStart(p.tok.pos) {
		return false
	}
	rest := p.lx.src[p.tok.end:]
	i := 0
	for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t') {
		i++
	}
	if i >= len(rest) {
		return false
	}
	switch p.tok.text {
	case "BEGIN", "END":
		return rest[i] == '{' || rest[i] == ',' || rest[i] == '\n'
	}
	if _, ok := kb.BpftraceProbeTypes[p.tok.text]; !ok {
		return false
	}
	return i == 0 && rest[i] == ':' && !strings.HasPrefix(rest, "::")
}

func (p *parser) lastWasBlock(b *Block) bool {
	if len(b.Stmts) == 0 {
		return false
	}
	switch b.Stmts[len(b.Stmts)-1].(type) {
	case *IfStmt, *LoopStmt, *BlockStmt:
		return true
	}
	return false
}

// syncStmt skips to the next ';' or the '}' closing the current block.
func (p *parser) syncStmt() {
	depth := 0
	for p.tok.kind != tEOF {
		if p.looksLikeProbe() {
			return
		}
		switch {
		case p.is(";") && depth == 0:
			p.advance()
			return
		case p.is("{"):
			depth++
		case p.is("}"):
			if depth == 0 {
				return
			}
			depth--
		}
		p.advance()
	}
}

func (p *parser) stmt() Stmt {
	// A statement and the block around it are two levels of the tree.
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		p.tooDeep(p.span())
		p.syncStmt()
		return nil
	}
	start := p.tok.pos
	if p.tok.kind == tIdent {
		switch p.tok.text {
		case "if":
			return p.ifStmt()
		case "while", "unroll", "for":
			kind := p.tok.text
			if kind == "for" {
				p.feature("for", p.span())
			}
			p.advance()
			ls := &LoopStmt{Kind: kind}
			paren := p.is("(")
			if paren {
				p.advance()
			}
			ls.Head = append(ls.Head, p.expr(false))
			for p.is(":") || p.is("..") || p.is(",") {
				if p.is("..") {
					ls.Range = true
					p.feature("for-range", p.span())
				}
				p.advance()
				ls.Head = append(ls.Head, p.expr(false))
			}
			if paren {
				p.expect(")")
			}
			if kind == "unroll" && len(ls.Head) == 1 && !unrollCount(ls.Head[0]) {
				// Up to 0.23 the grammar takes an integer or a
				// positional parameter only.
				p.feature("unroll-expr", ls.Head[0].NodeSpan())
			}
			if p.is("{") {
				ls.Body = p.block()
			} else {
				p.errorAt(p.span(), "expected '{' after %s (...)", kind)
			}
			ls.Span = analysis.Span{Start: start, End: p.prevEnd()}
			return ls
		case "return":
			p.advance()
			rs := &ReturnStmt{}
			if !p.is(";") && !p.is("}") {
				rs.X = p.expr(false)
			}
			rs.Span = analysis.Span{Start: start, End: p.prevEnd()}
			return rs
		case "let":
			p.feature("let", p.span())
			p.advance()
			v := p.expr(false)
			typ := ""
			if p.is(":") && p.tok.end < len(p.lx.src) && isIdentChar(p.lx.src[p.tok.end]) {
				// let $x:type: up to 0.23 ":type" lexes as a path.
				p.feature("colon-glued", p.span())
			}
			if p.is(":") { // let $x: type
				p.advance()
				ts := p.tok.pos
				p.skipType()
				if p.lastEnd > ts { // nothing skipped at the end of broken input
					typ = strings.TrimSpace(p.lx.src[ts:p.lastEnd])
				}
			}
			if p.is("=") {
				p.advance()
				rhs := p.expr(false)
				return &ExprStmt{Let: true, LetType: typ, X: &Assign{Op: "=", LHS: v, RHS: rhs, Span: analysis.Span{Start: v.NodeSpan().Start, End: rhs.NodeSpan().End}}, Span: analysis.Span{Start: start, End: p.prevEnd()}}
			}
			return &ExprStmt{Let: true, LetType: typ, X: v, Span: analysis.Span{Start: start, End: p.prevEnd()}}
		case "break", "continue":
			p.advance()
			return &ExprStmt{X: &Ident{Name: "break", Span: analysis.Span{Start: start, End: p.prevEnd()}}, Span: analysis.Span{Start: start, End: p.prevEnd()}}
		}
	}
	if p.is("{") {
		// A block as a statement: a block expression (0.24 on).
		p.feature("block-expr", p.span())
		return &BlockStmt{Block: p.block()}
	}
	x := p.assignExpr()
	return &ExprStmt{X: x, Span: analysis.Span{Start: start, End: p.prevEnd()}}
}

// unrollCount tells whether x is an unroll count every release's grammar
// takes: an integer, maybe negated, or a positional parameter.
func unrollCount(x Expr) bool {
	if u, ok := x.(*Unary); ok && u.Op == "-" {
		x = u.X
	}
	switch v := x.(type) {
	case *IntLit, *BadExpr:
		return true
	case *Var:
		name := strings.TrimPrefix(v.Name, "$")
		return name == "#" || name != "" && name[0] >= '0' && name[0] <= '9'
	}
	return false
}

// skipType skips a type annotation: words, '*' and [N].
func (p *parser) skipType() {
	for p.tok.kind == tIdent || p.is("*") {
		p.advance()
	}
	if p.is("[") {
		p.skipBalanced("[", "]")
	}
}

func (p *parser) prevEnd() int {
	// The end of the previous token: the lexer is past the current one.
	return p.lastEnd
}

func (p *parser) ifStmt() Stmt {
	// Each else if is a level of the tree.
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		p.tooDeep(p.span())
		p.skipIfChain()
		return nil
	}
	start := p.tok.pos
	p.advance()
	is := &IfStmt{}
	// Parentheses are part of the condition expression; newer bpftrace
	// allows `if x {` without them.
	is.NoParen = !p.is("(")
	if is.NoParen {
		p.feature("if-noparen", p.span())
	}
	is.Cond = p.expr(false)
	if p.is("{") {
		is.Then = p.block()
	} else {
		p.errorAt(p.span(), "expected '{' after if (...)")
	}
	if p.tok.kind == tIdent && p.tok.text == "else" {
		p.advance()
		if p.tok.kind == tIdent && p.tok.text == "if" {
			is.Else = p.ifStmt()
		} else if p.is("{") {
			is.Else = &BlockStmt{Block: p.block()}
		} else {
			p.errorAt(p.span(), "expected '{' or 'if' after else")
		}
	}
	is.Span = analysis.Span{Start: start, End: p.prevEnd()}
	return is
}

// skipIfChain reads over the rest of an else-if chain, from its 'if', in
// a loop: what is nested in it lies past maxDepth and is not kept.
func (p *parser) skipIfChain() {
	for p.tok.kind == tIdent && p.tok.text == "if" {
		p.advance()
		p.expr(false)
		if !p.is("{") {
			return
		}
		p.block()
		if p.tok.kind != tIdent || p.tok.text != "else" {
			return
		}
		p.advance()
	}
	if p.is("{") {
		p.block()
	}
}

var assignOps = map[string]bool{"=": true, "+=": true, "-=": true, "*=": true, "/=": true, "%=": true, "&=": true, "|=": true, "^=": true, "<<=": true, ">>=": true}

func (p *parser) assignExpr() Expr {
	lhs := p.expr(false)
	if p.tok.kind == tPunct && assignOps[p.tok.text] {
		op := p.tok.text
		p.advance()
		rhs := p.expr(false)
		return &Assign{Op: op, LHS: lhs, RHS: rhs, Span: analysis.Span{Start: lhs.NodeSpan().Start, End: rhs.NodeSpan().End}}
	}
	return lhs
}

// bound cuts every expression that lies more than maxDepth levels deep in
// the tree (chains inside brackets inside chains can go deeper than
// either limit alone), replacing it with a BadExpr, so that the checks
// and every other recursive walk over the tree stay shallow. It walks
// with a stack of its own.
func (p *parser) bound() {
	type item struct {
		e *Expr // an expression's place in its parent, or nil
		n Node  // a statement or block, when e is nil
		d int
	}
	var stack []item
	pushE := func(d int, es ...*Expr) {
		for _, e := range es {
			if *e != nil {
				stack = append(stack, item{e: e, d: d})
			}
		}
	}
	pushList := func(d int, es []Expr) {
		for i := range es {
			pushE(d, &es[i])
		}
	}
	for _, pr := range p.file.Probes {
		pushE(1, &pr.Pred)
		if pr.Body != nil {
			stack = append(stack, item{n: pr.Body, d: 1})
		}
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n, d := it.n, it.d+1
		if it.e != nil {
			if it.d > maxDepth {
				sp := (*it.e).NodeSpan()
				p.tooDeep(sp)
				*it.e = &BadExpr{Span: sp}
				continue
			}
			n = *it.e
		}
		switch x := n.(type) {
		case *Block:
			for _, s := range x.Stmts {
				if s != nil {
					stack = append(stack, item{n: s, d: d})
				}
			}
		case *ExprStmt:
			pushE(d, &x.X)
		case *IfStmt:
			pushE(d, &x.Cond)
			if x.Then != nil {
				stack = append(stack, item{n: x.Then, d: d})
			}
			if x.Else != nil {
				stack = append(stack, item{n: x.Else, d: d})
			}
		case *LoopStmt:
			pushList(d, x.Head)
			if x.Body != nil {
				stack = append(stack, item{n: x.Body, d: d})
			}
		case *ReturnStmt:
			pushE(d, &x.X)
		case *BlockStmt:
			stack = append(stack, item{n: x.Block, d: d})
		case *MapRef:
			pushList(d, x.Keys)
		case *Call:
			pushList(d, x.Args)
		case *Tuple:
			pushList(d, x.Elems)
		case *Binary:
			pushE(d, &x.L, &x.R)
		case *Unary:
			pushE(d, &x.X)
		case *Ternary:
			pushE(d, &x.Cond, &x.Then, &x.Else)
		case *FieldAccess:
			pushE(d, &x.X)
		case *IndexExpr:
			pushE(d, &x.X, &x.Index)
		case *Cast:
			pushE(d, &x.X)
		case *Paren:
			pushE(d, &x.X)
		case *BadExpr:
			pushE(d, &x.X)
		case *BlockExpr:
			stack = append(stack, item{n: x.Block, d: d})
		case *Assign:
			pushE(d, &x.LHS, &x.RHS)
		}
	}
}
