package kb

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

var errNoSnapshot = errors.New("this build has no embedded kb snapshot")

// File names inside a kb directory (a cache entry or a portable profile).
const (
	DataFile = "kb.bin" // the kb file format (format.go), memory-mapped
	BTFFile  = "vmlinux.btf"
	// OldDataFile is where kgent before schema 6 kept a gob-encoded kb.
	OldDataFile = "kb.gob"
)

// Options choose which kb Load returns.
type Options struct {
	// Dir is a kb directory: a portable profile made with `kgent kb build
	// --out`. It is used as is, never rebuilt.
	Dir string
	// BTFFile checks against another machine's kernel: the kb is built from
	// it once and cached by the file's sha256.
	BTFFile string
	// CacheDir overrides where cached kbs live (default: KGENT_KB_DIR, else
	// the user cache dir + /kgent/kb).
	CacheDir string
	// Rebuild ignores a valid cache entry.
	Rebuild bool
	// NoProbe skips probe programs in a build.
	NoProbe bool
	// Warn receives warnings (a corrupt cache being rebuilt).
	Warn func(string)
	// Progress receives build steps.
	Progress func(string)
}

// CacheDir is the default kb cache directory: KGENT_KB_DIR, else
// $XDG_CACHE_HOME/kgent/kb or ~/.cache/kgent/kb, else (neither is set)
// the per-user TempCacheBase()/kb, never a directory shared between users.
// It is only a path: Load checks it with PrivateDir before using it.
func CacheDir() string {
	if d := os.Getenv("KGENT_KB_DIR"); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil || !filepath.IsAbs(base) {
		return filepath.Join(TempCacheBase(), "kb")
	}
	return filepath.Join(base, "kgent", "kb")
}

// Load returns the kb for the options: a profile directory, a BTF file's
// cached kb, the host's cached kb (built when missing or stale), or the
// embedded snapshot when the host has no BTF.
func Load(opts Options) (*KB, error) {
	warn := opts.Warn
	if warn == nil {
		warn = func(string) {}
	}
	if opts.Dir != "" {
		k, err := LoadDir(opts.Dir)
		if err != nil {
			return nil, fmt.Errorf("loading kb %s: %w", opts.Dir, err)
		}
		return k, nil
	}
	cache := opts.CacheDir
	if cache == "" {
		cache = CacheDir()
	}
	btfPath, host := opts.BTFFile, opts.BTFFile == ""
	if host {
		btfPath = HostBTF
	}
	sum, err := fileSHA256(btfPath)
	if err != nil {
		if !host {
			return nil, fmt.Errorf("reading BTF %s: %w", btfPath, err)
		}
		warn("no kernel BTF at " + HostBTF + ": checking against the embedded reference kernel")
		return Snapshot()
	}
	name := "btf-" + sum[:16]
	if host {
		name = "host-" + sum[:16]
	}
	// A cache others can write may hold a planted kb (or vmlinux.h):
	// refuse it, saying how to fix it.
	if err := PrivateDir(cache); err != nil {
		return nil, err
	}
	dir := filepath.Join(cache, name)
	old := false
	if !opts.Rebuild {
		k, err := loadDir(dir, true)
		var se *schemaError
		switch {
		case err == nil && k.Meta.Schema == SchemaVersion && (!host || k.Meta.Kernel == hostRelease()):
			return k, nil
		case err == nil:
			warn(fmt.Sprintf("kb cache %s is stale (schema %d, kernel %s): rebuilding", dir, k.Meta.Schema, k.Meta.Kernel))
		case errors.As(err, &se):
			warn(fmt.Sprintf("kb cache %s has schema %d, this kgent reads schema %d: rebuilding", dir, se.found, SchemaVersion))
		case errors.Is(err, os.ErrNotExist) && OwnedFile(filepath.Join(dir, OldDataFile)) == nil:
			old = true
			warn(fmt.Sprintf("kb cache %s is in the gob format of schema 5 and before (%s), this kgent reads schema %d (%s): rebuilding", dir, OldDataFile, SchemaVersion, DataFile))
		case !errors.Is(err, os.ErrNotExist):
			warn(fmt.Sprintf("kb cache %s is unreadable (%v): rebuilding", dir, err))
		}
	}
	bo := BuildOptions{NoProbe: opts.NoProbe, Progress: opts.Progress}
	if !host {
		bo.BTFFile = btfPath
	}
	k, err := Build(bo)
	if err != nil {
		return nil, err
	}
	if err := k.Save(dir, !host); err != nil {
		warn(fmt.Sprintf("could not cache the kb in %s: %v", dir, err))
	} else if old {
		// The old file is this cache's, replaced by the new one.
		os.Remove(filepath.Join(dir, OldDataFile))
	}
	k.dir, k.cached = dir, true
	return k, nil
}

func hostRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// fileSHA256 hashes a BTF file the user named (--btf, targetBTF): only a
// regular file is read (OpenRegular), so /dev/zero or a named pipe is an
// error rather than a hash without end.
func fileSHA256(path string) (string, error) {
	f, err := OpenRegular(path, MaxBTFSize)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, MaxBTFSize+1)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// LoadDir loads a kb directory.
func LoadDir(dir string) (*KB, error) { return loadDir(dir, false) }

// loadDir loads a kb directory; cached ones are read only when owned by
// the user and writable by nobody else (OwnedOpen). The kb file is
// memory-mapped: opening reads its header, section table and meta section.
func loadDir(dir string, cached bool) (*KB, error) {
	var f *os.File
	var err error
	path := filepath.Join(dir, DataFile)
	if cached {
		f, err = OwnedOpen(path)
	} else {
		f, err = os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			if _, e := os.Stat(filepath.Join(dir, OldDataFile)); e == nil {
				return nil, fmt.Errorf("%s holds a kb of schema 5 or before (%s); this kgent reads schema %d: rebuild it with kgent kb build --out", dir, OldDataFile, SchemaVersion)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := mapFile(f)
	if err != nil {
		return nil, err
	}
	k, err := open(b)
	if err != nil {
		unmap(b)
		return nil, err
	}
	k.mapped = true
	// No string or slice handed out points into the mapping (records and
	// names are copies), so it can go when the kb does.
	runtime.AddCleanup(k, unmap, b)
	k.dir, k.cached = dir, cached
	return k, nil
}

// Save writes the kb into dir atomically. withBTF also copies the BTF it
// was built from, so the directory is a portable profile that verification
// can generate vmlinux.h from.
func (k *KB) Save(dir string, withBTF bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, DataFile), k.encode); err != nil {
		return err
	}
	if withBTF {
		src := k.BTFPath()
		if src != "" && src != filepath.Join(dir, BTFFile) {
			in, err := os.Open(src)
			if err != nil {
				return err
			}
			defer in.Close()
			if err := writeAtomic(filepath.Join(dir, BTFFile), func(w io.Writer) error {
				_, err := io.Copy(w, in)
				return err
			}); err != nil {
				return err
			}
		}
	}
	k.dir = dir
	return nil
}

// encode writes the kb file, with Meta, Attach and ProgTypes as they are
// now (the snapshot's Meta is changed after it opens).
func (k *KB) encode(w io.Writer) error {
	secs, err := parse(k.file)
	if err != nil {
		return err
	}
	var sec [numSections][]byte
	var cnt [numSections]int
	for i, s := range secs {
		sec[i], cnt[i] = s.b, s.n
	}
	sec[secMeta] = encodeMeta(&k.Meta, k.hasSyms, k.Attach, k.ProgTypes)
	b, err := assemble(&sec, &cnt)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// decodeCompressed opens a gzip-compressed kb file (the snapshot) in memory.
func decodeCompressed(b []byte) (*KB, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, errCorrupt("%v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, errCorrupt("%v", err)
	}
	return open(raw)
}

// WriteCompressed writes the kb gzip-compressed (the embedded snapshot).
func (k *KB) WriteCompressed(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	if err := k.encode(zw); err != nil {
		return err
	}
	return zw.Close()
}

func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err == nil {
		_ = tmp.Chmod(0o644)
	}
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Dir is the directory the kb was loaded from or saved to ("" for the
// snapshot or an unsaved build).
func (k *KB) Dir() string { return k.dir }

// BTFPath is the BTF file this kb describes, for generating vmlinux.h:
// the profile's copy, or the host's BTF for a host kb; "" when unknown.
func (k *KB) BTFPath() string {
	if k.dir != "" {
		p := filepath.Join(k.dir, BTFFile)
		if k.cached {
			if OwnedFile(p) == nil {
				return p
			}
		} else if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if k.Meta.Source == "host" {
		return HostBTF
	}
	if k.buildBTF != "" {
		return k.buildBTF
	}
	return ""
}
