// Package bpftrace parses and checks bpftrace scripts: a hand-written lexer
// and a recursive-descent parser that recovers from errors and gives every
// node a byte span, then checks against the kernel knowledge base.
package bpftrace

import (
	"strings"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tInt
	tString
	tVar       // $x, $1, $#
	tMap       // @x, @
	tPunct     // operators and punctuation
	tDirective // #include / #define line
	tBad
)

type token struct {
	kind tokKind
	text string
	pos  int
	end  int
}

type lexer struct {
	src  string
	pos  int
	errs []lexErr
}

type lexErr struct {
	pos, end int
	msg      string
}

var puncts = []string{
	"<<=", ">>=", "...", "->", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
	"==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "..",
	"+", "-", "*", "/", "%", "&", "|", "^", "!", "~", "<", ">", "=", "?", ":", ";", ",", ".",
	"(", ")", "{", "}", "[", "]",
}

func isIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || ('0' <= c && c <= '9') }

// skipSpace skips white space and comments.
func (l *lexer) skipSpace() {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.pos++
		case strings.HasPrefix(l.src[l.pos:], "//"):
			if i := strings.IndexByte(l.src[l.pos:], '\n'); i >= 0 {
				l.pos += i
			} else {
				l.pos = len(l.src)
			}
		case strings.HasPrefix(l.src[l.pos:], "/*"):
			if i := strings.Index(l.src[l.pos+2:], "*/"); i >= 0 {
				l.pos += i + 4
			} else {
				l.errs = append(l.errs, lexErr{l.pos, l.pos + 2, "unterminated comment"})
				l.pos = len(l.src)
			}
		default:
			return
		}
	}
}

func (l *lexer) atLineStart(p int) bool {
	for i := p - 1; i >= 0; i-- {
		switch l.src[i] {
		case ' ', '\t':
			continue
		case '\n':
			return true
		default:
			return false
		}
	}
	return true
}

// next returns the next token.
func (l *lexer) next() token {
	l.skipSpace()
	if l.pos >= len(l.src) {
		return token{kind: tEOF, pos: len(l.src), end: len(l.src)}
	}
	start := l.pos
	c := l.src[l.pos]
	switch {
	case c == '#' && l.atLineStart(start):
		end := strings.IndexByte(l.src[start:], '\n')
		if end < 0 {
			end = len(l.src)
		} else {
			end += start
		}
		// Continuation lines of a #define.
		for end > start && end < len(l.src) && l.src[end-1] == '\\' {
			nxt := strings.IndexByte(l.src[end+1:], '\n')
			if nxt < 0 {
				end = len(l.src)
				break
			}
			end += 1 + nxt
		}
		l.pos = end
		return token{kind: tDirective, text: l.src[start:end], pos: start, end: end}
	case isIdentStart(c):
		for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
			l.pos++
		}
		return token{kind: tIdent, text: l.src[start:l.pos], pos: start, end: l.pos}
	case '0' <= c && c <= '9':
		for l.pos < len(l.src) && (isIdentChar(l.src[l.pos]) || l.src[l.pos] == '_') {
			l.pos++
		}
		return token{kind: tInt, text: l.src[start:l.pos], pos: start, end: l.pos}
	case c == '"':
		l.pos++
		for l.pos < len(l.src) {
			switch l.src[l.pos] {
			case '\\':
				l.pos += 2
				continue
			case '"':
				l.pos++
				return token{kind: tString, text: l.src[start:l.pos], pos: start, end: l.pos}
			case '\n':
				l.errs = append(l.errs, lexErr{start, l.pos, "unterminated string"})
				return token{kind: tString, text: l.src[start:l.pos] + `"`, pos: start, end: l.pos}
			}
			l.pos++
		}
		if l.pos > len(l.src) {
			l.pos = len(l.src)
		}
		l.errs = append(l.errs, lexErr{start, l.pos, "unterminated string"})
		return token{kind: tString, text: l.src[start:l.pos] + `"`, pos: start, end: l.pos}
	case c == '\'':
		// Character literal: treat as an integer.
		l.pos++
		for l.pos < len(l.src) && l.src[l.pos] != '\'' && l.src[l.pos] != '\n' {
			if l.src[l.pos] == '\\' {
				l.pos++
			}
			l.pos++
		}
		if l.pos > len(l.src) {
			l.pos = len(l.src)
		}
		if l.pos < len(l.src) && l.src[l.pos] == '\'' {
			l.pos++
		}
		return token{kind: tInt, text: l.src[start:l.pos], pos: start, end: l.pos}
	case c == '$':
		l.pos++
		if l.pos < len(l.src) && l.src[l.pos] == '#' {
			l.pos++
		} else {
			for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
				l.pos++
			}
		}
		return token{kind: tVar, text: l.src[start:l.pos], pos: start, end: l.pos}
	case c == '@':
		l.pos++
		for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
			l.pos++
		}
		return token{kind: tMap, text: l.src[start:l.pos], pos: start, end: l.pos}
	}
	for _, p := range puncts {
		if strings.HasPrefix(l.src[l.pos:], p) {
			l.pos += len(p)
			return token{kind: tPunct, text: p, pos: start, end: l.pos}
		}
	}
	l.pos++
	for l.pos < len(l.src) && l.src[l.pos]&0xC0 == 0x80 {
		l.pos++
	}
	return token{kind: tBad, text: l.src[start:l.pos], pos: start, end: l.pos}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// rawAttach reads an attach point as raw text: everything up to white
// space, ',' or '{' (quoted parts may contain those).
func (l *lexer) rawAttach() token {
	l.skipSpace()
	start := l.pos
	inQuote := false
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == '"' {
			inQuote = !inQuote
			l.pos++
			continue
		}
		if !inQuote && l.pos > start && isIdentStart(l.src[start]) && (isSpace(c) || strings.HasPrefix(l.src[l.pos:], "/*")) {
			// White space, newlines included: releases before 0.27
			// read `tracepoint: a:b`, `kprobe :f` and `tracepoint:\na:b`
			// as one attach point (but not a path after the space:
			// `uprobe: /bin/sh:f` starts a predicate).
			// A comment counts as white space too (`tracepoint/* c */:a:b`,
			// `BE/**/GIN`), but not right after a colon.
			j, comment := l.pos, false
			for j < len(l.src) {
				if isSpace(l.src[j]) {
					j++
				} else if k := strings.Index(l.src[j:], "*/"); strings.HasPrefix(l.src[j:], "/*") && k > 0 {
					j += k + 2
					comment = true
				} else {
					break
				}
			}
			// Up to 0.23 white space inside an attach point is dropped
			// altogether: `B EGIN` is BEGIN, `BEGIN assert {` the probe
			// type BEGINassert.
			if j < len(l.src) && (l.src[j] == ':' || (!comment || l.src[l.pos-1] != ':') && (isIdentChar(l.src[j]) || l.src[j] == '*' || l.src[j] == '.')) {
				l.pos = j
				continue
			}
		}
		if !inQuote && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '{') {
			break
		}
		if !inQuote && (strings.HasPrefix(l.src[l.pos:], "//") || strings.HasPrefix(l.src[l.pos:], "/*")) {
			break
		}
		l.pos++
	}
	return token{kind: tIdent, text: l.src[start:l.pos], pos: start, end: l.pos}
}
