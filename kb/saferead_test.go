package kb

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// guard runs f and fails the test if it does not return within a generous
// bound: the special files below used to block a read for ever.
func guard(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("hung: a read of a special file did not return")
	}
}

// pipeFD returns /proc/self/fd/N of the read end of a pipe whose write
// end stays open with nothing written: reading it blocks.
func pipeFD(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return "/proc/self/fd/" + strconv.Itoa(int(r.Fd()))
}

func TestReadRegularRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "x.bt")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// A writer that never writes: a blocking read of the FIFO would wait.
	zlink := filepath.Join(dir, "zero.bpf.c")
	if err := os.Symlink("/dev/zero", zlink); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, kind string
	}{
		{"fifo", fifo, "a named pipe"},
		{"dev-zero", "/dev/zero", "a character device"},
		{"symlink-to-dev-zero", zlink, "a character device"},
		{"proc-fd-of-pipe", pipeFD(t), "a named pipe"},
		{"directory", dir, "a directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var data []byte
			var err error
			guard(t, func() { data, err = ReadRegular(c.path, MaxProgramSize) })
			if !errors.Is(err, ErrNotRegular) {
				t.Fatalf("ReadRegular(%s) = %d bytes, %v; want ErrNotRegular", c.path, len(data), err)
			}
			if !strings.Contains(err.Error(), c.kind) {
				t.Errorf("error %q does not name %q", err, c.kind)
			}
		})
	}
}

// /proc/self/fd/0 is whatever stdin is; for a test run it is never a
// regular file we may read through that name, and it must not be drained.
func TestReadRegularProcSelfFD0(t *testing.T) {
	st, err := os.Stat("/proc/self/fd/0")
	var rerr error
	guard(t, func() { _, rerr = ReadRegular("/proc/self/fd/0", MaxProgramSize) })
	if err != nil {
		// No standard input at all (CI closes it): nothing to read.
		if rerr == nil {
			t.Fatalf("stdin is closed (%v) yet ReadRegular read it", err)
		}
		return
	}
	if !st.Mode().IsRegular() && !errors.Is(rerr, ErrNotRegular) {
		t.Fatalf("stdin is %v; ReadRegular error %v, want ErrNotRegular", st.Mode(), rerr)
	}
}

func TestReadRegularSizeLimit(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.bpf.c")
	if err := os.WriteFile(big, []byte(strings.Repeat("x", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRegular(big, 99); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("100-byte file with limit 99: %v, want ErrTooLarge", err)
	}
	data, err := ReadRegular(big, 100)
	if err != nil || len(data) != 100 {
		t.Fatalf("100-byte file with limit 100: %d bytes, %v", len(data), err)
	}
	// A /proc file reports size 0 whatever it holds: the limit still
	// holds while reading.
	if _, err := ReadRegular("/proc/self/status", 16); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("/proc/self/status with limit 16: %v, want ErrTooLarge", err)
	}
	// A sparse file is refused by its size before anything is read.
	sparse := filepath.Join(dir, "sparse.h")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxHeaderSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := ReadRegular(sparse, MaxHeaderSize); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "8 MiB") {
		t.Fatalf("sparse file over the header limit: %v", err)
	}
}

func TestReadRegularReadsRegularFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "h.h")
	if err := os.WriteFile(p, []byte("#define X 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.h")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{p, link} {
		data, err := ReadRegular(path, MaxHeaderSize)
		if err != nil || string(data) != "#define X 1\n" {
			t.Fatalf("ReadRegular(%s) = %q, %v", path, data, err)
		}
	}
	if _, err := ReadRegular(filepath.Join(dir, "none.h"), MaxHeaderSize); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// TestLoadRefusesSpecialBTF: a BTF file named by the user (--btf, the
// targetBTF setting) that is a device or a named pipe is an error, not a
// hash or read without end.
func TestLoadRefusesSpecialBTF(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "vmlinux")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/dev/zero", fifo, pipeFD(t)} {
		var err error
		guard(t, func() { _, err = Load(Options{BTFFile: p, CacheDir: t.TempDir()}) })
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("Load(BTFFile %s): %v, want ErrNotRegular", p, err)
		}
	}
	if _, err := Build(BuildOptions{BTFFile: "/dev/zero", NoProbe: true}); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Build(BTFFile /dev/zero): %v, want ErrNotRegular", err)
	}
}
