package kb

import (
	"fmt"
	"io"
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// MapFile maps the regular file f read-only, for a reader that decodes
// what it needs in place (the kb file, the retrieval index). A file of
// fewer than small bytes is read into memory instead (too small to be
// worth a mapping, and an empty file cannot be mapped: the caller's parser
// says what is wrong with it); one of more than limit bytes is refused.
// The mapping lives until Unmap(b, small): no string or slice the caller
// hands out may point into it. Caches and profiles are replaced by
// rename, never rewritten in place, so a mapped file does not change
// under its reader.
func MapFile(f *os.File, small, limit int64) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", f.Name())
	}
	if size > limit {
		return nil, fmt.Errorf("%s: %d bytes is too large (at most %d)", f.Name(), size, limit)
	}
	if size < small {
		b, err := io.ReadAll(io.LimitReader(f, size))
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	return unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
}

// Unmap releases a mapping MapFile(f, small, ...) made. A small file that
// was read rather than mapped is left to the collector.
func Unmap(b []byte, small int64) {
	if int64(len(b)) >= small && len(b) > 0 {
		_ = unix.Munmap(b)
	}
}

// smallKB is the size below which a kb file is read, not mapped: it
// cannot even hold the header and the section table.
const smallKB = headerSize + numSections*secEntry

// mapFile maps a kb file read-only; the mapping lives as long as the kb.
func mapFile(f *os.File) ([]byte, error) { return MapFile(f, smallKB, math.MaxUint32) }

// unmap releases the mapping of a kb that failed to open or is gone.
func unmap(b []byte) { Unmap(b, smallKB) }
