package kb

import (
	"fmt"
	"io"
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps a kb file read-only; the mapping lives as long as the kb.
// Caches and profiles are replaced by rename, never rewritten in place,
// so the mapped file does not change under the kb.
func mapFile(f *os.File) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", f.Name())
	}
	if size > math.MaxUint32 {
		return nil, errCorrupt("%d bytes is too large for a kb", size)
	}
	if size < headerSize+numSections*secEntry {
		// Too small to map usefully: read it, so parse says what is wrong.
		b, err := io.ReadAll(io.LimitReader(f, size))
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	return unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
}

// unmap releases the mapping of a kb that failed to open or is gone. A
// small file that was read rather than mapped is left to the collector.
func unmap(b []byte) {
	if len(b) >= headerSize+numSections*secEntry {
		_ = unix.Munmap(b)
	}
}
