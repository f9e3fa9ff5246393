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
	"strings"

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
	var sum string
	var err error
	memo := false
	if host {
		sum, memo, err = hostSum(cache)
	} else {
		sum, err = fileSHA256(btfPath)
	}
	if err != nil {
		if !host {
			return nil, fmt.Errorf("reading BTF %s: %w", btfPath, err)
		}
		if errors.Is(err, errUntrustedCache) {
			return nil, errors.Unwrap(err)
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
	note := ""
	if !opts.Rebuild {
		var k *KB
		if k, note, old = cachedKB(dir, sum, host); k != nil {
			return k, nil
		}
	}
	if memo {
		// A build is due and the remembered sum may be wrong: hash
		// the BTF before building for it.
		if real, err := fileSHA256(HostBTF); err == nil && real != sum {
			sum, dir = real, filepath.Join(cache, "host-"+real[:16])
			writeHostSum(cache, real)
			if !opts.Rebuild {
				var k *KB
				if k, note, old = cachedKB(dir, sum, host); k != nil {
					return k, nil
				}
			}
		}
	}
	if note != "" {
		warn(note)
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

// cachedKB returns the valid kb of a cache entry, or nil with why it is
// rebuilt ("" when there is none) and whether it holds an old kb.gob.
func cachedKB(dir, sum string, host bool) (*KB, string, bool) {
	k, err := loadDir(dir, true)
	var se *schemaError
	switch {
	case err == nil && k.Meta.Schema == SchemaVersion && (!host || k.Meta.Kernel == hostRelease() && k.Meta.BTFSHA256 == sum):
		return k, "", false
	case err == nil:
		return nil, fmt.Sprintf("kb cache %s is stale (schema %d, kernel %s): rebuilding", dir, k.Meta.Schema, k.Meta.Kernel), false
	case errors.As(err, &se):
		return nil, fmt.Sprintf("kb cache %s has schema %d, this kgent reads schema %d: rebuilding", dir, se.found, SchemaVersion), false
	case errors.Is(err, os.ErrNotExist) && OwnedFile(filepath.Join(dir, OldDataFile)) == nil:
		return nil, fmt.Sprintf("kb cache %s is in the gob format of schema 5 and before (%s), this kgent reads schema %d (%s): rebuilding", dir, OldDataFile, SchemaVersion, DataFile), true
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Sprintf("kb cache %s is unreadable (%v): rebuilding", dir, err), false
	}
	return nil, "", false
}

// hostSumFile, in the cache directory, keeps the host BTF's sha256 for
// the current boot.
const hostSumFile = "host-btf.sum"

var errUntrustedCache = errors.New("untrusted cache directory")

// hostSum is the sha256 of the host's BTF. Hashing the ~6 MB file was
// most of what opening the kb cost once the kb was mapped; the BTF of a
// running kernel does not change until it reboots, so the sum is kept in
// the cache, keyed by boot id, kernel release and size, and computed again
// after a reboot. Without a boot id it is computed every time.
func hostSum(cache string) (sum string, remembered bool, err error) {
	if _, err := os.Stat(HostBTF); err != nil {
		return "", false, err
	}
	if err := PrivateDir(cache); err != nil {
		return "", false, fmt.Errorf("%w: %w", errUntrustedCache, err)
	}
	if key := hostSumKey(); key != "" {
		if f, err := OwnedOpen(filepath.Join(cache, hostSumFile)); err == nil {
			b := make([]byte, 256)
			n, _ := io.ReadFull(f, b)
			f.Close()
			if k, sum, ok := strings.Cut(strings.TrimSpace(string(b[:n])), "\n"); ok && k == key && isSHA256(sum) {
				return sum, true, nil
			}
		}
	}
	sum, err = fileSHA256(HostBTF)
	if err != nil {
		return "", false, err
	}
	writeHostSum(cache, sum)
	return sum, false, nil
}

// hostSumKey names this boot of this kernel ("" without a boot id).
func hostSumKey() string {
	boot, _ := ReadRegular("/proc/sys/kernel/random/boot_id", 64)
	id := strings.TrimSpace(string(boot))
	st, err := os.Stat(HostBTF)
	if id == "" || err != nil {
		return ""
	}
	return fmt.Sprintf("boot %s release %s size %d", id, hostRelease(), st.Size())
}

func writeHostSum(cache, sum string) {
	if key := hostSumKey(); key != "" {
		_ = writeAtomic(filepath.Join(cache, hostSumFile), func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "%s\n%s\n", key, sum)
			return err
		})
	}
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
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
	if withBTF && k.btfRaw != nil {
		if err := writeAtomic(filepath.Join(dir, BTFFile), func(w io.Writer) error {
			_, err := w.Write(k.btfRaw)
			return err
		}); err != nil {
			return err
		}
	} else if withBTF {
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
