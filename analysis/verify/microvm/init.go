package microvm

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/kgent/kgent/kb"
)

// InitName is the guest init's file name when installed beside kgent.
const InitName = "kgent-vminit"

func defaultCacheDir() string { return kb.CacheDir() }

// FindInit finds the guest init: $KGENT_VMINIT, else kgent-vminit beside
// the running executable or in PATH, else (a development tree) it is
// built once per process from this package's guest/ source with the go
// command (CGO_ENABLED=0) into the kb cache.
func FindInit() (string, error) {
	if p := os.Getenv("KGENT_VMINIT"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("KGENT_VMINIT=%s: %v", p, err)
		}
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), InitName)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath(InitName); err == nil {
		return p, nil
	}
	return buildInit()
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// buildInit builds guest/ from source, when the source and a go command
// are at hand.
func buildInit() (string, error) {
	buildOnce.Do(func() {
		_, file, _, ok := runtime.Caller(0)
		src := filepath.Join(filepath.Dir(file), "guest")
		if _, err := os.Stat(filepath.Join(src, "main.go")); !ok || err != nil {
			buildErr = errors.New("the microVM's init (" + InitName + ") is not installed beside kgent or in PATH (make build installs it in bin/; KGENT_VMINIT names it)")
			return
		}
		goCmd, err := exec.LookPath("go")
		if err != nil {
			if _, err2 := os.Stat("/usr/local/go/bin/go"); err2 == nil {
				goCmd = "/usr/local/go/bin/go"
			} else {
				buildErr = errors.New("the microVM's init (" + InitName + ") is not installed, and there is no go command to build it from " + src)
				return
			}
		}
		dir := filepath.Join(defaultCacheDir(), "microvm")
		if err := kb.PrivateDir(defaultCacheDir()); err != nil {
			buildErr = err
			return
		}
		if err := kb.PrivateDir(dir); err != nil {
			buildErr = err
			return
		}
		out := filepath.Join(dir, fmt.Sprintf("%s.%d", InitName, os.Getpid()))
		cmd := exec.Command(goCmd, "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building the microVM's init from %s: %v: %s", src, err, strings.TrimSpace(string(b)))
			return
		}
		// Named by its content: another tree's build (another worktree,
		// another test binary) writes its own file rather than replacing
		// this one between two boots of this process.
		b, err := os.ReadFile(out)
		if err != nil {
			buildErr = err
			return
		}
		sum := sha256.Sum256(b)
		final := filepath.Join(dir, InitName+"-"+hex.EncodeToString(sum[:8]))
		if err := os.Rename(out, final); err != nil {
			buildErr = err
			return
		}
		pruneCache(dir, InitName+"-", filepath.Base(final))
		buildPath = final
	})
	return buildPath, buildErr
}

// pruneCache removes the files of dir named prefix* beyond the newest
// four besides keep (built inits, initramfs files).
func pruneCache(dir, prefix, keep string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type f struct {
		name string
		mod  int64
	}
	var old []f
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), prefix) || e.Name() == keep {
			continue
		}
		if info, err := e.Info(); err == nil {
			old = append(old, f{e.Name(), info.ModTime().UnixNano()})
		}
	}
	sort.Slice(old, func(i, j int) bool { return old[i].mod > old[j].mod })
	for i, o := range old {
		if i >= 4 {
			os.Remove(filepath.Join(dir, o.name))
		}
	}
}

// readInit reads the init and checks that it is a static executable (the
// initramfs has no libraries).
func readInit(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the microVM's init: %v", err)
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("the microVM's init %s is not an ELF executable", path)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return nil, fmt.Errorf("the microVM's init %s is dynamically linked: build it with CGO_ENABLED=0", path)
		}
	}
	return b, nil
}
