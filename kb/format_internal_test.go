package kb

import (
	"encoding/binary"
	"testing"
)

// A damaged length inside a record asks for no allocation beyond the
// record: the decoder marks the record bad instead.
func TestRecordLengthsAreBounded(t *testing.T) {
	for _, n := range []uint64{1 << 40, 1 << 62, 1<<64 - 1, 100} {
		b := binary.AppendUvarint(nil, 0) // name
		b = binary.AppendUvarint(b, 0)    // return
		b = binary.AppendUvarint(b, n)    // parameter count
		b = append(b, 0, 0, 0)
		var f Func
		r := rd{b: b, str: []byte{0}}
		r.fn(&f)
		if !r.bad || len(f.Params) != 0 {
			t.Errorf("count %d: bad=%v, %d params", n, r.bad, len(f.Params))
		}
	}
	var ty Type
	r := rd{b: []byte{0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}, str: []byte{0}}
	r.typ(&ty)
	if !r.bad {
		t.Error("a type with 2^32 members decoded")
	}
}
