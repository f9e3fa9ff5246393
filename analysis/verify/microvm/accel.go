package microvm

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kgent/kgent/kb"
)

// kvmProbeTimeout bounds the probe boot with KVM: a working KVM boots
// the init in about a second.
const kvmProbeTimeout = 8 * time.Second

var (
	accelMu  sync.Mutex
	accelHit string // the verdict of this process
)

// detectAccel is "kvm" when /dev/kvm is usable and a probe boot of t
// with it reaches the init in time, else "tcg". On some machines /dev/kvm
// exists and guests hang: hence the probe rather than the device's
// presence. The verdict is kept for the process and, per host kernel and
// QEMU, in the cache (microvm/accel), so the probe runs once.
func detectAccel(ctx context.Context, opts Options, t Target) string {
	accelMu.Lock()
	defer accelMu.Unlock()
	if accelHit != "" {
		return accelHit
	}
	if unix.Access("/dev/kvm", unix.R_OK|unix.W_OK) != nil {
		accelHit = "tcg"
		return accelHit
	}
	id := accelID(opts)
	cacheDir := opts.CacheDir
	if cacheDir == "" {
		cacheDir = defaultCacheDir()
	}
	file := filepath.Join(cacheDir, "microvm", "accel")
	if kb.OwnedFile(file) == nil {
		if b, err := os.ReadFile(file); err == nil {
			if v, ok := strings.CutPrefix(strings.TrimSpace(string(b)), id+" "); ok && (v == "kvm" || v == "tcg") {
				accelHit = v
				return v
			}
		}
	}
	verdict := "tcg"
	if vm, err := boot(ctx, opts, t, "kvm", kvmProbeTimeout); err == nil {
		vm.Kill()
		verdict = "kvm"
	}
	if ctx.Err() != nil {
		return verdict
	}
	accelHit = verdict
	if kb.PrivateDir(filepath.Dir(file)) == nil {
		_ = os.WriteFile(file, []byte(id+" "+verdict+"\n"), 0o600)
	}
	return verdict
}

// accelID names what the verdict depends on: the host kernel and QEMU.
func accelID(opts Options) string {
	var u unix.Utsname
	_ = unix.Uname(&u)
	q := opts.QEMU
	if q == "" {
		q = QEMUBinary()
	}
	mod := ""
	if p, err := exec.LookPath(q); err == nil {
		if st, err := os.Stat(p); err == nil {
			mod = st.ModTime().UTC().Format(time.RFC3339)
		}
	}
	return strings.ReplaceAll(unix.ByteSliceToString(u.Release[:])+"|"+q+"|"+mod, " ", "_")
}
