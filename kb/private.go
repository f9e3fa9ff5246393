package kb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Cached files (a kb, vmlinux.h, retrieval indexes) are compiled into
// programs loaded as root or shape what kgent reports, so kgent only
// trusts a cache directory that no other user can change: the directory
// is owned by the effective user, and every directory above it is owned
// by that user or root and writable by nobody else (the sticky /tmp
// aside, where other users cannot rename what is ours).

// TempCacheBase is the cache base used when neither XDG_CACHE_HOME nor
// HOME is set: a per-user directory under the system's temporary
// directory, never a directory shared between users.
func TempCacheBase() string {
	return filepath.Join(os.TempDir(), "kgent-"+strconv.Itoa(os.Geteuid()))
}

// PrivateDir prepares dir to hold a cache only its owner can read or
// change: it is created with mode 0700 when missing; an existing one must
// be owned by the effective user and not writable by group or others
// (then anything may have been planted in it: it is refused), and its
// group and other read access is removed. Every directory above it must be
// safe too. The error names the path and how to fix it.
func PrivateDir(dir string) error {
	return ownDir(dir, true, "KGENT_KB_DIR")
}

// OwnedDir is PrivateDir for a directory others may read: it must be
// owned by the effective user and writable by nobody else; a new one is
// created with mode 0700. The error's fix names KGENT_INDEX_DIR.
func OwnedDir(dir string) error {
	return ownDir(dir, false, "KGENT_INDEX_DIR")
}

// ownDir checks dir; env is the variable that moves it, for the fix.
func ownDir(dir string, private bool, env string) error {
	if dir == "" {
		return errors.New("no cache directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	// Nothing is created under a directory someone else controls.
	for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			if _, err := safePath(p, true); err != nil {
				return fmt.Errorf("%v: kgent does not trust a cache there; remove it if it is not yours to keep, or set %s to a directory of your own", err, env)
			}
			break
		}
		if p == filepath.Dir(p) {
			break
		}
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return fmt.Errorf("cannot create the cache directory %s: %v", abs, err)
	}
	real, err := safePath(abs, false)
	if err != nil {
		return fmt.Errorf("%v: kgent does not trust a cache there; remove it if it is not yours to keep, or set %s to a directory of your own", err, env)
	}
	st, err := os.Lstat(real)
	if err != nil {
		return err
	}
	uid, mode := owner(st), st.Mode()
	if !mode.IsDir() {
		return fmt.Errorf("the cache directory %s is not a directory", abs)
	}
	if uid != os.Geteuid() {
		return fmt.Errorf("the cache directory %s is owned by uid %d, not by you (uid %d), so kgent does not trust what it holds: remove it, or set %s to a directory of your own",
			abs, uid, os.Geteuid(), env)
	}
	if mode.Perm()&0o022 != 0 {
		return fmt.Errorf("the cache directory %s is writable by other users (mode %04o), so its files may have been planted: remove it (rm -rf %s) and let kgent recreate it, or set %s to a directory of your own",
			abs, mode.Perm(), abs, env)
	}
	if private && mode.Perm()&0o077 != 0 {
		if err := os.Chmod(real, mode.Perm()&0o700); err != nil {
			return fmt.Errorf("cannot make the cache directory %s private: %v", abs, err)
		}
	}
	return nil
}

// OwnedFile checks a file kgent is about to read from a cache: a regular
// file (not a link) owned by the effective user and writable by nobody
// else, in directories that are safe (see PrivateDir).
func OwnedFile(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	st, err := os.Lstat(abs)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", abs)
	}
	if uid := owner(st); uid != os.Geteuid() {
		return fmt.Errorf("%s is owned by uid %d, not by you (uid %d)", abs, uid, os.Geteuid())
	}
	if st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s is writable by other users (mode %04o)", abs, st.Mode().Perm())
	}
	_, err = safePath(abs, false)
	return err
}

// OwnedOpen opens a cached file for reading and checks the opened file,
// as OwnedFile does, so that what is read is what was checked.
func OwnedOpen(path string) (*os.File, error) {
	if err := OwnedFile(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && (owner(st) != os.Geteuid() || st.Mode().Perm()&0o022 != 0 || !st.Mode().IsRegular()) {
		err = fmt.Errorf("%s changed while it was opened", path)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// safePath resolves the absolute path abs component by component and
// checks that no other user can change what it names: every directory on
// the way (abs itself only when whole: callers check it otherwise) is owned by the effective user or root and is not writable by
// others (unless sticky, like /tmp; group-writable is accepted for the
// user's own group), and every symbolic link followed is owned by the
// effective user or root. It returns the resolved path.
func safePath(abs string, whole bool) (string, error) {
	me := os.Geteuid()
	trusted := func(uid int) bool { return uid == me || uid == 0 }
	rest := pathParts(filepath.Clean(abs))
	cur := "/"
	if err := checkDirOnPath(cur, trusted); err != nil {
		return "", err
	}
	for hops := 0; len(rest) > 0; {
		name := rest[0]
		rest = rest[1:]
		if name == "." {
			continue
		}
		if name == ".." {
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, name)
		st, err := os.Lstat(next)
		if err != nil {
			return "", err
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			if hops++; hops > 40 {
				return "", fmt.Errorf("%s: too many symbolic links", abs)
			}
			if uid := owner(st); !trusted(uid) {
				return "", fmt.Errorf("%s (on the way to %s) is a symbolic link owned by uid %d, which could point it anywhere: kgent does not use it", next, abs, uid)
			}
			target, err := os.Readlink(next)
			if err != nil {
				return "", err
			}
			if filepath.IsAbs(target) {
				cur = "/"
			}
			rest = append(pathParts(target), rest...)
			continue
		}
		cur = next
		if st.IsDir() && (len(rest) > 0 || whole) {
			if err := checkDirOnPath(cur, trusted); err != nil {
				if cur == abs {
					return "", err
				}
				return "", fmt.Errorf("%v (on the way to %s)", err, abs)
			}
		}
	}
	return cur, nil
}

// pathParts splits a path into its names, without empty ones.
func pathParts(p string) []string {
	var out []string
	for _, n := range strings.Split(p, "/") {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

func checkDirOnPath(dir string, trusted func(int) bool) error {
	st, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	uid, perm := owner(st), st.Mode().Perm()
	if !trusted(uid) {
		return fmt.Errorf("the directory %s is owned by uid %d, who could replace what kgent caches in it", dir, uid)
	}
	sticky := st.Mode()&fs.ModeSticky != 0
	if perm&0o002 != 0 && !sticky {
		return fmt.Errorf("the directory %s is writable by every user (mode %04o)", dir, perm)
	}
	if perm&0o020 != 0 && !sticky && group(st) != os.Getegid() {
		return fmt.Errorf("the directory %s is writable by group %d (mode %04o)", dir, group(st), perm)
	}
	return nil
}

func owner(st os.FileInfo) int {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(s.Uid)
	}
	return -1
}

func group(st os.FileInfo) int {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(s.Gid)
	}
	return -1
}
