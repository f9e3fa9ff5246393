package bpfc

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// TestSitterLayout fails when a go-tree-sitter upgrade changes the
// wrappers native.go relies on.
func TestSitterLayout(t *testing.T) {
	for _, v := range []any{sitter.Parser{}, sitter.Tree{}, sitter.Node{}} {
		rt := reflect.TypeOf(v)
		if rt.NumField() != 1 {
			t.Fatalf("%s has %d fields; native.go assumes one", rt, rt.NumField())
		}
	}
	if reflect.TypeOf(sitter.Parser{}).Field(0).Type.Kind() != reflect.Pointer || reflect.TypeOf(sitter.Tree{}).Field(0).Type.Kind() != reflect.Pointer {
		t.Fatal("Parser and Tree no longer wrap a pointer")
	}
	var n sitter.Node
	if unsafe.Sizeof(n) != 32 {
		t.Fatalf("sitter.Node is %d bytes; TSNode is 32", unsafe.Sizeof(n))
	}
}

// TestCollectMatchesQuery compares collect with tree-sitter's own query
// engine over every fixture: same nodes, same order.
func TestCollectMatchesQuery(t *testing.T) {
	q, err := sitter.NewQuery(cLang, `[(declaration) @a (call_expression) @b (field_expression) @c (struct_specifier) @d]`)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	tags := newTagSet("declaration", "call_expression", "field_expression", "struct_specifier")
	files := cFiles(t)
	var cl collector
	defer cl.free()
	total := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d *Doc
		withSegments(1<<30, 1, func() { d = NewDoc(src) })
		root := d.roots()[0]
		var want []string
		qc := sitter.NewQueryCursor()
		ms := qc.Matches(q, root, nil)
		for m := ms.Next(); m != nil; m = ms.Next() {
			for _, cp := range m.Captures {
				want = append(want, fmt.Sprintf("%d %s %d-%d", cp.Index+1, cp.Node.Kind(), cp.Node.StartByte(), cp.Node.EndByte()))
			}
		}
		qc.Close()
		nodes, tg := cl.collect(root, tags)
		var got []string
		for i := range nodes {
			got = append(got, fmt.Sprintf("%d %s %d-%d", tg[i], nodes[i].Kind(), nodes[i].StartByte(), nodes[i].EndByte()))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: collect differs from the query\ngot:\n%s\nwant:\n%s", f, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		total += len(got)
		d.Close()
	}
	if total < 500 {
		t.Fatalf("only %d nodes compared", total)
	}
}
