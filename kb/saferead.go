package kb

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Size limits for ReadRegular: a program kgent checks, and a header it
// reads for the names it defines.
const (
	MaxProgramSize = 16 << 20
	MaxHeaderSize  = 8 << 20
	// MaxBTFSize bounds a BTF file (a kernel's is 5-10 MiB).
	MaxBTFSize = 512 << 20
)

// Errors of ReadRegular, for errors.Is.
var (
	ErrNotRegular = errors.New("not a regular file")
	ErrTooLarge   = errors.New("too large")
)

// FileError says why ReadRegular refused a file; its Reason reads after
// the file's name ("is not a regular file (a named pipe)").
type FileError struct {
	Path   string
	Reason string
	Err    error // ErrNotRegular or ErrTooLarge
}

func (e *FileError) Error() string { return e.Path + " " + e.Reason }
func (e *FileError) Unwrap() error { return e.Err }

// ReadRegular reads a file a user or client named (a program, a header
// it includes) without ever blocking on or draining anything but a
// regular file: the type is checked before the file is opened, the open
// does not wait (a named pipe opened for reading without O_NONBLOCK
// waits for a writer), the opened file is checked again (it may have been
// replaced in between), and at most limit bytes are read (a /proc file
// reports size 0 whatever it holds). Devices (/dev/zero), named pipes,
// sockets, directories and /proc/self/fd/N of a pipe or terminal give a
// *FileError wrapping ErrNotRegular; a file over limit bytes one wrapping
// ErrTooLarge.
func ReadRegular(path string, limit int64) ([]byte, error) {
	f, err := OpenRegular(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(path, limit)
	}
	return data, nil
}

// OpenRegular opens a regular file of at most limit bytes for reading
// with the checks of ReadRegular; the caller reads at most limit+1 bytes
// (a /proc file's size says nothing) and closes it.
func OpenRegular(path string, limit int64) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := regularWithin(path, st, limit); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	if st, err = f.Stat(); err == nil {
		err = regularWithin(path, st, limit)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// regularWithin checks a file's type and size before it is read.
func regularWithin(path string, st fs.FileInfo, limit int64) error {
	if !st.Mode().IsRegular() {
		return &FileError{Path: path, Reason: "is not a regular file (" + fileKind(st.Mode()) + ")", Err: ErrNotRegular}
	}
	if st.Size() > limit {
		return tooLarge(path, limit)
	}
	return nil
}

func tooLarge(path string, limit int64) error {
	return &FileError{Path: path, Reason: "is larger than " + sizeText(limit), Err: ErrTooLarge}
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// fileKind names the type of a file that is not regular.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "a special file"
}

// NotRegular says why an entry of a directory walk is not read, or "" for
// a regular file: symbolic links are not followed and special files not
// opened.
func NotRegular(m fs.FileMode) string {
	if m.IsRegular() {
		return ""
	}
	return "is not a regular file (" + fileKind(m) + ")"
}
