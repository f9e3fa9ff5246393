package microvm

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kgent/kgent/kb"
)

// cpioEntry is one file or directory of the initramfs.
type cpioEntry struct {
	name string
	mode uint32 // with the file type bits
	data []byte
}

// Mode bits of the newc format.
const (
	cpioDir  = 0o040000
	cpioFile = 0o100000
)

// newcArchive is a gzip-compressed cpio archive in the "newc" format
// (what the kernel unpacks as an initramfs) holding entries, in order.
func newcArchive(entries []cpioEntry) []byte {
	var raw bytes.Buffer
	pad := func() {
		for raw.Len()%4 != 0 {
			raw.WriteByte(0)
		}
	}
	write := func(ino int, e cpioEntry) {
		nlink := 1
		if e.mode&cpioDir != 0 {
			nlink = 2
		}
		// magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
		// devminor, rdevmajor, rdevminor, namesize, check
		fmt.Fprintf(&raw, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			ino, e.mode, 0, 0, nlink, 0, len(e.data), 0, 0, 0, 0, len(e.name)+1, 0)
		raw.WriteString(e.name)
		raw.WriteByte(0)
		pad()
		raw.Write(e.data)
		pad()
	}
	for i, e := range entries {
		write(i+1, e)
	}
	write(0, cpioEntry{name: "TRAILER!!!"})
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	zw.Write(raw.Bytes())
	zw.Close()
	return z.Bytes()
}

// initramfs returns the path of a gzip newc initramfs whose /init is the
// guest program init, followed by extra (a tool and its libraries:
// tools.go), made once per content in the kb cache
// (<cache>/microvm/initramfs-<sha256>.gz, in a private directory, written
// atomically).
func initramfs(cacheDir string, init []byte, extra ...cpioEntry) (string, error) {
	entries := []cpioEntry{
		{name: "dev", mode: cpioDir | 0o755},
		{name: "proc", mode: cpioDir | 0o555},
		{name: "sys", mode: cpioDir | 0o555},
		{name: "boot", mode: cpioDir | 0o755},
		{name: "tmp", mode: cpioDir | 0o1777},
		{name: "init", mode: cpioFile | 0o755, data: init},
	}
	entries = append(entries, extra...)
	archive := newcArchive(entries)
	sum := sha256.Sum256(archive)
	dir := filepath.Join(cacheDir, "microvm")
	if err := kb.PrivateDir(cacheDir); err != nil {
		return "", err
	}
	if err := kb.PrivateDir(dir); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "initramfs-"+hex.EncodeToString(sum[:])[:24]+".gz")
	if kb.OwnedFile(path) == nil {
		if b, err := os.ReadFile(path); err == nil && bytes.Equal(b, archive) {
			return path, nil
		}
	}
	tmp, err := os.CreateTemp(dir, ".initramfs-*")
	if err != nil {
		return "", err
	}
	_, werr := tmp.Write(archive)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("cannot write the initramfs: %v", werr)
	}
	// Older initramfs files of other inits are left for the next
	// cleanup: remove those beyond the newest few.
	pruneCache(dir, "initramfs-", filepath.Base(path))
	return path, nil
}
