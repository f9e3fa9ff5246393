package kb

import (
	_ "embed"
	"sync"
)

// The embedded snapshot is a kb of the project machines' kernel (built by
// `make snapshot`), without kernel documentation text. It answers when the
// target has no BTF (a laptop, a container) and fills facts that need
// privilege (GPL-only helpers) when the build could not probe. It is a
// gzip-compressed kb file, decompressed into memory when first asked for.
//
//go:embed snapshot/kb.bin.gz
var snapshotData []byte

var (
	snapOnce sync.Once
	snapKB   *KB
	snapErr  error
)

// Snapshot returns the embedded reference kb.
func Snapshot() (*KB, error) {
	snapOnce.Do(func() {
		if len(snapshotData) == 0 {
			snapErr = errNoSnapshot
			return
		}
		k, err := decodeCompressed(snapshotData)
		if err != nil {
			snapErr = err
			return
		}
		k.Meta.Source = "snapshot"
		k.Meta.Reference = true
		snapKB = k
	})
	return snapKB, snapErr
}

// fillFromSnapshot takes GPL-only flags and helper availability the build
// could not probe from the reference kb, marking their source.
func fillFromSnapshot(d *Data) {
	snap, err := Snapshot()
	if err != nil || snap == nil {
		return
	}
	for i := range d.Helpers {
		h := &d.Helpers[i]
		ref, ok := snap.Helper(h.Name)
		if !ok {
			continue
		}
		if h.GPLOnly == Unknown && ref.GPLOnly != Unknown {
			h.GPLOnly = ref.GPLOnly
			if h.Source == FromBTF {
				h.Source = FromBTF + "+" + FromSnapshot
			}
		}
	}
	if _, ok := d.Meta.Sources["helper_availability"]; ok && d.Meta.Privileged {
		return
	}
	d.Meta.Sources["gpl_only"] = FromSnapshot
}
