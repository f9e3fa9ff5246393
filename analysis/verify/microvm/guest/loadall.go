package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/kgent/kgent/analysis/verify/microvm"
)

// loadall has the VM's bpftool load the object with libbpf, as a user
// loads it: `bpftool prog loadall OBJ DIR`, DIR a directory of its own on
// the bpffs the init mounted. bpftool pins each program it loaded there;
// the pins are removed afterwards, which frees the programs (nothing is
// attached), and so are the maps libbpf pinned by name.
func loadall(obj []byte) any {
	if _, err := os.Stat(microvm.GuestBpftool); err != nil {
		return map[string]string{"vm_error": "this microVM holds no bpftool (microvm.Options.Bpftool puts one in)"}
	}
	a := microvm.LoadallAnswer{Exit: -1}
	tmp, err := os.MkdirTemp("/tmp", "loadall-")
	if err != nil {
		return map[string]string{"vm_error": err.Error()}
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "prog.o")
	if err := os.WriteFile(path, obj, 0o600); err != nil {
		return map[string]string{"vm_error": err.Error()}
	}
	// One directory, made anew for each request: what a request left
	// pinned would fail the next.
	pins := "/sys/fs/bpf/kgent-loadall"
	if err := os.Mkdir(pins, 0o700); err != nil {
		return map[string]string{"vm_error": "the pin directory on bpffs: " + err.Error()}
	}
	// Maps pinned by name (LIBBPF_PIN_BY_NAME) go to /sys/fs/bpf itself:
	// whatever this load adds there is removed afterwards too, so that
	// the next object does not reuse a map of this one.
	before := map[string]bool{}
	if ents, err := os.ReadDir("/sys/fs/bpf"); err == nil {
		for _, e := range ents {
			before[e.Name()] = true
		}
	}
	var stdout, stderr limitedBuffer
	cmd := exec.Command(microvm.GuestBpftool, "prog", "loadall", path, pins)
	cmd.Env = []string{"LD_LIBRARY_PATH=" + microvm.GuestLibDir, "PATH=/"}
	cmd.Dir = tmp
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		a.Exit = 0
	case errors.As(err, &ee) && ee.Exited():
		a.Exit = ee.ExitCode()
	default:
		a.Problems = append(a.Problems, "bpftool: "+err.Error())
	}
	a.Output, a.Omitted = microvm.TrimLoadallOutput(stdout.String() + stderr.String())
	if stdout.cut+stderr.cut > 0 {
		a.Problems = append(a.Problems, "bpftool's output was longer than the guest keeps; its end is lost")
	}
	if err := os.RemoveAll(pins); err != nil {
		a.Problems = append(a.Problems, "removing the pins: "+err.Error())
	}
	if ents, err := os.ReadDir("/sys/fs/bpf"); err == nil {
		for _, e := range ents {
			if !before[e.Name()] {
				if err := os.RemoveAll(filepath.Join("/sys/fs/bpf", e.Name())); err != nil {
					a.Problems = append(a.Problems, "removing a pinned map: "+err.Error())
				}
			}
		}
	}
	return a
}

// limitedBuffer keeps the first 64 MiB written to it (a verifier log is
// at most 16 MiB; the guest has 512 MiB) and counts the rest.
type limitedBuffer struct {
	b   []byte
	cut int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	room := 64<<20 - len(l.b)
	if room < len(p) {
		l.cut += len(p) - max(room, 0)
		p = p[:max(room, 0)]
	}
	l.b = append(l.b, p...)
	return n, nil
}

func (l *limitedBuffer) String() string { return string(l.b) }
