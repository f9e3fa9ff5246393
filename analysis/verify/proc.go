package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultMemoryLimit bounds the address space of every tool verification
// starts (clang, bpftrace, bpftool) unless Options.MemoryLimit says
// otherwise. A normal compile of a libbpf program stays well under half
// of it; a preprocessor bomb reaches it in a fraction of a second.
const DefaultMemoryLimit int64 = 2 << 30

// untrustedUID and untrustedGID are who clang runs as for untrusted
// sources: the conventional nobody/nogroup (65534).
const (
	untrustedUID = 65534
	untrustedGID = 65534
)

// proc says how one tool runs.
type proc struct {
	// dir is the working directory; "" is a private temporary directory.
	dir string
	// tmp is TMPDIR for the tool, a directory private to this run that
	// the caller removes; "" makes one here (removed after the run).
	tmp string
	// drop runs the tool as nobody (untrustedUID) with no supplementary
	// groups, and with only PATH, TMPDIR and LC_ALL in its environment.
	// Only a root kgent can drop; others run the tool as themselves.
	drop bool
}

// errTimeout says a process ran out of time.
type errTimeout struct {
	tool  string
	limit time.Duration
}

func (e errTimeout) Error() string { return fmt.Sprintf("%s timed out after %v", e.tool, e.limit) }

// errOutOfMemory says a process failed at its address-space limit.
type errOutOfMemory struct {
	tool  string
	limit int64
}

func (e errOutOfMemory) Error() string {
	return fmt.Sprintf("%s ran out of memory (limit %s)", e.tool, sizeString(e.limit))
}

// sizeString prints a byte count as GiB or MiB.
func sizeString(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

// outOfMemory reports whether a failed tool's output says an allocation
// failed: LLVM (clang, and bpftrace's embedded clang) prints "LLVM ERROR:
// out of memory", C++ code throws std::bad_alloc.
func outOfMemory(out string) bool {
	return strings.Contains(out, "LLVM ERROR: out of memory") || strings.Contains(out, "std::bad_alloc") ||
		strings.Contains(out, "Cannot allocate memory")
}

// memoryLimit is the configured address-space limit; 0 is none.
func (v *Verifier) memoryLimit() int64 {
	if v.opts.MemoryLimit < 0 {
		return 0
	}
	if v.opts.MemoryLimit == 0 {
		return DefaultMemoryLimit
	}
	return v.opts.MemoryLimit
}

// run runs a command in dir (trusted: as kgent itself) within the limits.
func (v *Verifier) run(ctx context.Context, dir, name string, args ...string) (stdout, stderr string, err error) {
	return v.runProc(ctx, proc{dir: dir}, name, args...)
}

// runProc runs a command within the time limit and the memory limit. The
// command gets its own process group, which is killed whole on timeout
// or cancellation, so no child (clang's cc1, bpftrace's helpers) outlives
// it; it is killed (SIGKILL) too when kgent dies, however it dies
// (Pdeathsig). TMPDIR points into a private directory, removed after the
// run when runProc made it, so nothing a tool leaves there (a crash
// reproducer) stays behind.
func (v *Verifier) runProc(ctx context.Context, p proc, name string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(ctx, v.opts.Timeout)
	defer cancel()
	tmp := p.tmp
	if tmp == "" {
		tmp, err = os.MkdirTemp("", "kgent-run-")
		if err != nil {
			return "", "", fmt.Errorf("cannot create a temporary directory: %v", err)
		}
		defer os.RemoveAll(tmp)
		if p.drop {
			if err := os.Chown(tmp, untrustedUID, untrustedGID); err != nil {
				return "", "", fmt.Errorf("cannot hand a temporary directory to nobody: %v", err)
			}
		}
	}
	dir := p.dir
	if dir == "" {
		dir = tmp
	}
	limit := v.memoryLimit()
	wrapped := false
	var cmd *exec.Cmd
	if pl := prlimitTool(); limit > 0 && pl != "" {
		// util-linux's prlimit lowers its own limit and executes the
		// tool: the limit holds from the tool's first instruction, and
		// whoever the tool runs as.
		cmd = exec.CommandContext(ctx, pl, fmt.Sprintf("--as=%d", limit), "--", name)
		cmd.Args = append(cmd.Args, args...)
		wrapped = true
	} else {
		cmd = exec.CommandContext(ctx, name, args...)
	}
	cmd.Dir = dir
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	drop := p.drop && os.Geteuid() == 0
	if drop {
		// Groups empty (not NoSetGroups): root's supplementary groups
		// are cleared too. Changing the user id clears every capability.
		attr.Credential = &syscall.Credential{Uid: untrustedUID, Gid: untrustedGID, Groups: []uint32{}}
		cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", "TMPDIR=" + tmp}
	} else {
		cmd.Env = append(withoutEnv(os.Environ(), "TMPDIR"), "TMPDIR="+tmp)
	}
	cmd.SysProcAttr = attr
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if wrapped {
		limit = 0
	}
	if err := start(cmd, filepath.Base(name), limit); err != nil {
		return "", "", err
	}
	if v.started != nil {
		v.started(cmd.Process.Pid)
	}
	err = cmd.Wait()
	if ctx.Err() == context.DeadlineExceeded {
		err = errTimeout{filepath.Base(name), v.opts.Timeout}
	} else if err != nil && v.memoryLimit() > 0 && outOfMemory(errb.String()+out.String()) {
		err = errOutOfMemory{filepath.Base(name), v.memoryLimit()}
	}
	return out.String(), errb.String(), err
}

// prlimitTool is util-linux's prlimit, or "" when there is none.
var prlimitTool = sync.OnceValue(func() string {
	p, err := exec.LookPath("prlimit")
	if err != nil {
		return ""
	}
	return p
})

// start starts cmd and limits its address space to limit bytes (0: no
// limit, or the limit is already set by a prlimit wrapper). Go's
// SysProcAttr has no resource limits, so without the prlimit tool the
// limit is set with the prlimit system call on the new pid at once: the
// tool may run for the few microseconds in between, far too short to
// matter (it is only a bound on runaway growth); that call needs
// CAP_SYS_RESOURCE when the tool runs as another user. The thread is locked around Start because
// Pdeathsig fires when the thread that forked the child exits, not the
// process: an unlocked goroutine never runs on a thread that exits
// (only a goroutine that ends while locked takes its thread with it),
// and locking keeps fork and that guarantee on the same thread.
func start(cmd *exec.Cmd, tool string, limit int64) error {
	runtime.LockOSThread()
	err := cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return err
	}
	if limit > 0 {
		lim := unix.Rlimit{Cur: uint64(limit), Max: uint64(limit)}
		if err := unix.Prlimit(cmd.Process.Pid, unix.RLIMIT_AS, &lim, nil); err != nil && !errors.Is(err, unix.ESRCH) {
			// A tool without its limit is not run.
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
			return fmt.Errorf("cannot limit %s's memory (install util-linux's prlimit): %v", tool, err)
		}
	}
	return nil
}

// withoutEnv is env without the variable name.
func withoutEnv(env []string, name string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return out
}

// privateDir makes a 0700 temporary directory for one verification;
// owned by nobody when drop is set and kgent is root, so a tool run as
// nobody can write its output there (and nobody else can look in).
func privateDir(prefix string, drop bool) (string, error) {
	parent := ""
	if drop && os.Geteuid() == 0 && !searchableByOthers(os.TempDir()) {
		// A private TMPDIR: nobody could not reach its own directory.
		parent = "/tmp"
	}
	tmp, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return "", err
	}
	if drop && os.Geteuid() == 0 {
		if err := os.Chown(tmp, untrustedUID, untrustedGID); err != nil {
			os.RemoveAll(tmp)
			return "", err
		}
	}
	return tmp, nil
}

// searchableByOthers reports whether every directory from / to dir may
// be passed through by any user.
func searchableByOthers(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for d := abs; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil || st.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// readableByNobody reports whether a user with no relation to the file's
// owner or group could read path: every directory above it searchable by
// others and the file readable by others (ACLs are not considered, so
// the answer errs on "no").
func readableByNobody(path string) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	st, err := os.Stat(abs)
	return err == nil && st.Mode().Perm()&0o004 != 0 && searchableByOthers(filepath.Dir(abs))
}
