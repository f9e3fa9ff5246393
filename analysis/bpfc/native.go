package bpfc

/*
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>

// tree-sitter's value types and the functions used here, as declared in
// its api.h; the library is compiled into the binary by go-tree-sitter.
typedef struct TSParser TSParser;
typedef struct TSTree TSTree;
typedef uint16_t TSSymbol;
typedef struct { uint32_t context[4]; const void *id; const TSTree *tree; } TSNode;
typedef struct { const void *tree; const void *id; uint32_t context[3]; } TSTreeCursor;

extern TSTree *ts_parser_parse_string(TSParser *self, const TSTree *old_tree, const char *string, uint32_t length);
extern TSTreeCursor ts_tree_cursor_new(TSNode node);
extern void ts_tree_cursor_delete(TSTreeCursor *self);
extern TSNode ts_tree_cursor_current_node(const TSTreeCursor *self);
extern bool ts_tree_cursor_goto_first_child(TSTreeCursor *self);
extern bool ts_tree_cursor_goto_next_sibling(TSTreeCursor *self);
extern bool ts_tree_cursor_goto_parent(TSTreeCursor *self);
extern TSSymbol ts_node_symbol(TSNode self);

// kgent_collect lists, in document order, the descendants of root whose
// symbol has a non-zero tag, with the tag. It returns how many there are;
// only the first cap are stored.
static uint32_t kgent_collect(TSNode root, const uint8_t *tags, uint32_t ntags, TSNode *out, uint8_t *out_tags, uint32_t cap) {
	TSTreeCursor c = ts_tree_cursor_new(root);
	uint32_t n = 0;
	for (;;) {
		TSNode cur = ts_tree_cursor_current_node(&c);
		TSSymbol s = ts_node_symbol(cur);
		if (s < ntags && tags[s]) {
			if (n < cap) {
				out[n] = cur;
				out_tags[n] = tags[s];
			}
			n++;
		}
		if (ts_tree_cursor_goto_first_child(&c))
			continue;
		while (!ts_tree_cursor_goto_next_sibling(&c)) {
			if (!ts_tree_cursor_goto_parent(&c)) {
				ts_tree_cursor_delete(&c);
				return n;
			}
		}
	}
}
*/
import "C"

import (
	"unsafe"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// go-tree-sitter's Parser, Tree and Node are wrappers of exactly one C
// value each (TSParser*, TSTree*, TSNode); TestSitterLayout checks it for
// the pinned version. The two functions here use that to call
// tree-sitter directly where the wrapper's way costs most of the time.

// parse parses text with p, reusing old (already edited) when it is not
// nil.
//
// go-tree-sitter's Parser.Parse hands tree-sitter a read callback that
// copies the rest of the text into a new C string on every call;
// ts_parser_parse_string reads the text in place.
func parse(p *sitter.Parser, text []byte, old *sitter.Tree) *sitter.Tree {
	if len(text) == 0 {
		return p.Parse(text, old)
	}
	cp := *(**C.TSParser)(unsafe.Pointer(p))
	var co *C.TSTree
	if old != nil {
		co = *(**C.TSTree)(unsafe.Pointer(old))
	}
	ct := C.ts_parser_parse_string(cp, co, (*C.char)(unsafe.Pointer(&text[0])), C.uint32_t(len(text)))
	if ct == nil {
		return nil
	}
	t := new(sitter.Tree)
	*(**C.TSTree)(unsafe.Pointer(t)) = ct
	return t
}

// tagSet maps node kinds (by name, named nodes only, aliases included) to
// small non-zero tags.
type tagSet []uint8

func newTagSet(kinds ...string) tagSet {
	n := cLang.NodeKindCount()
	tags := make(tagSet, n)
	for id := uint16(0); uint32(id) < n; id++ {
		if !cLang.NodeKindIsNamed(id) {
			continue
		}
		name := cLang.NodeKindForId(id)
		for i, k := range kinds {
			if name == k {
				tags[id] = uint8(i + 1)
			}
		}
	}
	return tags
}

// collector gathers tagged descendants with one C call per subtree; a
// query cursor does the same work through a pattern matcher and a Go
// allocation per match. Its buffers are C memory (a Go buffer of C
// pointers would be scanned by cgo's pointer check on every call): free
// releases them.
type collector struct {
	nodes *C.TSNode
	tags  *C.uint8_t
	cap   uint32
}

// collect returns the descendants of root with a tag from ts, in
// document order (a node before the nodes inside it), and their tags
// (1 for the first kind given to newTagSet). The slices are valid until
// the next call or free.
func (cl *collector) collect(root *sitter.Node, ts tagSet) ([]sitter.Node, []uint8) {
	if cl.cap == 0 {
		cl.grow(256)
	}
	cr := *(*C.TSNode)(unsafe.Pointer(root))
	for {
		n := uint32(C.kgent_collect(cr, (*C.uint8_t)(unsafe.Pointer(&ts[0])), C.uint32_t(len(ts)), cl.nodes, cl.tags, C.uint32_t(cl.cap)))
		if n <= cl.cap {
			if n == 0 {
				return nil, nil
			}
			return unsafe.Slice((*sitter.Node)(unsafe.Pointer(cl.nodes)), n), unsafe.Slice((*uint8)(unsafe.Pointer(cl.tags)), n)
		}
		cl.grow(n)
	}
}

func (cl *collector) grow(n uint32) {
	cl.free()
	cl.nodes = (*C.TSNode)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(C.TSNode{}))))
	cl.tags = (*C.uint8_t)(C.malloc(C.size_t(n)))
	cl.cap = n
}

func (cl *collector) free() {
	if cl.cap != 0 {
		C.free(unsafe.Pointer(cl.nodes))
		C.free(unsafe.Pointer(cl.tags))
		*cl = collector{}
	}
}
