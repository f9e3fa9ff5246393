package lsp

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/lsp/editor"
)

// Go-to-definition, references and rename through the server: scopes
// (two functions that both declare pid, two probes that both use $x, a
// map every probe uses), UTF-16 positions after non-ASCII text on the
// same line, refusals as errors, and the capabilities that announce
// them. The kb plays no part: the test runs without one.

const navC = `#include "vmlinux.h"

SEC("kprobe/do_exit")
int first(struct pt_regs *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	return pid;
}

SEC("kprobe/do_exit")
int second(struct pt_regs *ctx)
{
	u32 pid = bpf_get_current_pid_tgid();
	/* 中文 😀 */ if (pid == 0)
		return 1;
	return pid;
}
`

const navBt = `kprobe:vfs_read { $x = arg2; @bytes[comm] = sum($x); }
kprobe:vfs_write { $x = arg2 * 2; /* ✓ */ @bytes[comm] = sum($x); }
END { print(@bytes); clear(@bytes); }
`

// navDoc is an open document and its text, for positions.
type navDoc struct {
	t    *testing.T
	c    *editor.Conn
	uri  string
	text string
	idx  *analysis.LineIndex
}

// pos is the LSP position of the n-th occurrence of sub, plus skip bytes.
func (d navDoc) pos(sub string, n, skip int) protocol.Position {
	d.t.Helper()
	return toPosition(d.idx.Position(d.off(sub, n) + skip))
}

func (d navDoc) off(sub string, n int) int {
	d.t.Helper()
	off := -1
	for i := 0; i <= n; i++ {
		j := strings.Index(d.text[off+1:], sub)
		if j < 0 {
			d.t.Fatalf("%q: occurrence %d not found", sub, n)
		}
		off += 1 + j
	}
	return off
}

// rng is the range of word at the n-th occurrence of sub plus skip.
func (d navDoc) rng(sub string, n, skip int, word string) protocol.Range {
	s := d.off(sub, n) + skip
	return toRange(d.idx, analysis.Span{Start: s, End: s + len(word)})
}

func (d navDoc) call(method string, p protocol.Position, extra map[string]any, out any) error {
	d.t.Helper()
	params := map[string]any{"textDocument": docID(d.uri), "position": p}
	for k, v := range extra {
		params[k] = v
	}
	res, err := d.c.Call(method, params, 30*time.Second)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(res, out); err != nil {
		d.t.Fatalf("%s: %s: %v", method, res, err)
	}
	return nil
}

func (d navDoc) references(p protocol.Position, decl bool) []protocol.Range {
	d.t.Helper()
	var locs []protocol.Location
	if err := d.call("textDocument/references", p, map[string]any{"context": map[string]any{"includeDeclaration": decl}}, &locs); err != nil {
		d.t.Fatalf("references: %v", err)
	}
	var out []protocol.Range
	for _, l := range locs {
		if string(l.URI) != d.uri {
			d.t.Fatalf("reference in %s", l.URI)
		}
		out = append(out, l.Range)
	}
	return out
}

func (d navDoc) rename(p protocol.Position, name string) ([]protocol.Range, error) {
	d.t.Helper()
	var we protocol.WorkspaceEdit
	if err := d.call("textDocument/rename", p, map[string]any{"newName": name}, &we); err != nil {
		return nil, err
	}
	var out []protocol.Range
	for uri, edits := range we.Changes {
		if string(uri) != d.uri {
			d.t.Fatalf("edit in %s", uri)
		}
		for _, e := range edits {
			if e.NewText != name {
				d.t.Fatalf("edit to %q, want %q", e.NewText, name)
			}
			out = append(out, e.Range)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Start.Line < out[j].Start.Line || out[i].Start.Line == out[j].Start.Line && out[i].Start.Character < out[j].Start.Character
	})
	return out, nil
}

func sameRanges(t *testing.T, what string, got []protocol.Range, want ...protocol.Range) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d ranges %+v, want %+v", what, len(got), got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: range %d is %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

func openNav(t *testing.T, c *editor.Conn, uri, lang, text string) navDoc {
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": lang, "version": 1, "text": text}})
	return navDoc{t: t, c: c, uri: uri, text: text, idx: analysis.NewLineIndex(text)}
}

func TestNavigationThroughServer(t *testing.T) {
	c := rawServer(t, Options{Debounce: -1, LoadKB: func(kb.Options) (*kb.KB, error) { return nil, errors.New("no kb in this test") }})
	res, err := c.Call("initialize", map[string]any{"capabilities": map[string]any{}}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var init struct {
		Capabilities struct {
			References bool `json:"referencesProvider"`
			Rename     struct {
				Prepare bool `json:"prepareProvider"`
			} `json:"renameProvider"`
		} `json:"capabilities"`
	}
	if err := json.Unmarshal(res, &init); err != nil || !init.Capabilities.References || !init.Capabilities.Rename.Prepare {
		t.Fatalf("capabilities %s: %v", res, err)
	}
	c.Notify("initialized", map[string]any{})

	t.Run("c", func(t *testing.T) {
		d := openNav(t, c, "file:///tmp/kgent-test/nav.bpf.c", "c", navC)
		// pid in the second function, after a comment of CJK and an
		// emoji on the same line (UTF-16 positions).
		use := d.pos("pid == 0", 0, 1)
		secondDecl := d.rng("u32 pid", 1, 4, "pid")
		var locs []protocol.Location
		if err := d.call("textDocument/definition", use, nil, &locs); err != nil || len(locs) != 1 || locs[0].Range != secondDecl {
			t.Fatalf("definition %v %+v, want %+v", err, locs, secondDecl)
		}
		all := []protocol.Range{secondDecl, d.rng("pid == 0", 0, 0, "pid"), d.rng("return pid", 1, 7, "pid")}
		sameRanges(t, "references", d.references(use, true), all...)
		sameRanges(t, "references without the declaration", d.references(use, false), all[1:]...)
		// The first function's pid has its own.
		sameRanges(t, "first pid", d.references(d.pos("return pid", 0, 8), true), d.rng("u32 pid", 0, 4, "pid"), d.rng("return pid", 0, 7, "pid"))

		var r protocol.Range
		if err := d.call("textDocument/prepareRename", use, nil, &r); err != nil || r != all[1] {
			t.Fatalf("prepareRename %v %+v", err, r)
		}
		got, err := d.rename(use, "tgid_hi")
		if err != nil {
			t.Fatal(err)
		}
		sameRanges(t, "rename", got, all...)
		// Refused: the parameter ctx is in the same scope; a helper is
		// declared elsewhere; a keyword.
		if _, err := d.rename(use, "ctx"); err == nil || !strings.Contains(err.Error(), "already declared") || !strings.Contains(err.Error(), "-32803") {
			t.Fatalf("rename to ctx: %v", err)
		}
		if _, err := d.rename(use, "return"); err == nil || !strings.Contains(err.Error(), "keyword") {
			t.Fatalf("rename to return: %v", err)
		}
		if err := d.call("textDocument/prepareRename", d.pos("bpf_get_current_pid_tgid", 1, 3), nil, &r); err == nil || !strings.Contains(err.Error(), "not declared in this document") {
			t.Fatalf("prepareRename of a helper: %v", err)
		}
	})

	t.Run("bpftrace", func(t *testing.T) {
		d := openNav(t, c, "file:///tmp/kgent-test/nav.bt", "bpftrace", navBt)
		// $x in the second probe: the second probe's.
		use := d.pos("sum($x)", 1, 5)
		var locs []protocol.Location
		if err := d.call("textDocument/definition", use, nil, &locs); err != nil || len(locs) != 1 || locs[0].Range != d.rng("$x = arg2 * 2", 0, 0, "$x") {
			t.Fatalf("definition of $x: %v %+v", err, locs)
		}
		got, err := d.rename(use, "$n")
		if err != nil {
			t.Fatal(err)
		}
		sameRanges(t, "rename $x", got, d.rng("$x = arg2 * 2", 0, 0, "$x"), d.rng("sum($x)", 1, 4, "$x"))
		// @bytes in every probe.
		bytes := []protocol.Range{d.rng("@bytes", 0, 0, "@bytes"), d.rng("@bytes", 1, 0, "@bytes"), d.rng("@bytes", 2, 0, "@bytes"), d.rng("@bytes", 3, 0, "@bytes")}
		sameRanges(t, "@bytes", d.references(d.pos("clear(@bytes", 0, 8), true), bytes...)
		got, err = d.rename(d.pos("print(@bytes", 0, 7), "@total")
		if err != nil {
			t.Fatal(err)
		}
		sameRanges(t, "rename @bytes", got, bytes...)
		if _, err := d.rename(use, "@x"); err == nil || !strings.Contains(err.Error(), "must start with $") {
			t.Fatalf("rename $x to a map: %v", err)
		}
	})

	t.Run("not open", func(t *testing.T) {
		d := navDoc{t: t, c: c, uri: "file:///tmp/kgent-test/not-open.bt"}
		res, err := c.Call("textDocument/references", map[string]any{"textDocument": docID(d.uri), "position": pos(0, 0), "context": map[string]any{"includeDeclaration": true}}, 10*time.Second)
		if err != nil || string(res) != "[]" {
			t.Fatalf("references on an unknown document: %s %v", res, err)
		}
		res, err = c.Call("textDocument/rename", map[string]any{"textDocument": docID(d.uri), "position": pos(0, 0), "newName": "x"}, 10*time.Second)
		if err != nil || string(res) != "null" {
			t.Fatalf("rename on an unknown document: %s %v", res, err)
		}
	})
}
