// Package microvm runs other kernels' verifiers without root: a kernel
// image boots in QEMU (TCG unless KVM is proven to work) with a small
// static init of kgent's (guest/) as its only process, no network and no
// disk, and the host hands it compiled objects over a serial line; the
// init loads each program through that kernel's verifier, never
// attaches, and answers per program. A VM per kernel image is booted
// once and reused (Pool).
//
// The host side is this package; what the guest runs is
// guest/main.go, built with CGO_ENABLED=0 (FindInit), packed with
// nothing else into a gzip newc initramfs made in Go (initramfs.go);
// tests that compare kgent's loader with libbpf's add this machine's
// bpftool and its libraries (Options.Bpftool, tools.go).
package microvm

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Defaults of Options.
const (
	DefaultMemoryMB       = 512
	DefaultBootTimeout    = 90 * time.Second
	DefaultRequestTimeout = 60 * time.Second
	// tbSizeMB is TCG's translation buffer: QEMU's default (1 GiB for
	// system emulation) would count against the memory cap for nothing.
	tbSizeMB = 128
)

// Options configure a Pool. The zero value works when qemu-system-x86_64
// is installed and an init is found (FindInit).
type Options struct {
	// QEMU is the qemu-system binary; default qemu-system-x86_64 (or
	// qemu-system-<arch> of this machine) from PATH.
	QEMU string
	// Init is the guest init (a static executable); default FindInit.
	Init string
	// CacheDir holds the initramfs (under microvm/); default the kb
	// cache dir.
	CacheDir string
	// MemoryMB is the guest's memory; default 512. The QEMU process's
	// address space is capped at it plus what QEMU itself needs.
	MemoryMB int
	// BootTimeout bounds a boot to the init's hello; default 90 s.
	BootTimeout time.Duration
	// RequestTimeout bounds each request once booted; default 60 s. A
	// VM that does not answer in time is killed.
	RequestTimeout time.Duration
	// IdleTimeout stops a VM unused for that long (the next request
	// boots it again); default 10 minutes, negative: never.
	IdleTimeout time.Duration
	// Accel is "tcg", "kvm", or "" to use KVM only when a quick probe
	// boot with it succeeds (KGENT_VM_ACCEL overrides "").
	Accel string
	// Progress, when set, is told about boots: the image and a line.
	Progress func(image, msg string)
	// Bpftool, when set, is a bpftool executable of this machine that
	// the guest holds, with the shared libraries it needs, for Loadall
	// (tests compare kgent's loader with libbpf's in each kernel). Empty
	// by default: the initramfs is the init alone, as small and as
	// quick to boot as without this option.
	Bpftool string
}

func (o *Options) defaults() {
	if o.MemoryMB <= 0 {
		o.MemoryMB = DefaultMemoryMB
	}
	if o.BootTimeout <= 0 {
		o.BootTimeout = DefaultBootTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Accel == "" {
		o.Accel = os.Getenv("KGENT_VM_ACCEL")
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 10 * time.Minute
	}
}

// Target is a kernel to boot.
type Target struct {
	// Image is the kernel's boot image (bzImage / vmlinuz).
	Image string
	// Config is the kernel's build configuration ("CONFIG_X=y" lines),
	// given to the guest for libbpf's __kconfig externs (Debian's
	// kernels do not carry their config); nil when unknown.
	Config []string
}

// QEMUBinary is the qemu-system binary for this machine's architecture.
func QEMUBinary() string {
	switch runtime.GOARCH {
	case "arm64":
		return "qemu-system-aarch64"
	case "386":
		return "qemu-system-i386"
	}
	return "qemu-system-x86_64"
}

// Missing says why VMs cannot run here ("" when they can): no QEMU, or
// no guest init.
func Missing(opts Options) string {
	q := opts.QEMU
	if q == "" {
		q = QEMUBinary()
	}
	if _, err := exec.LookPath(q); err != nil {
		return q + " is not installed (apt-get install qemu-system-x86; scripts/setup.sh installs it)"
	}
	if opts.Init == "" {
		if _, err := FindInit(); err != nil {
			return err.Error()
		}
	}
	return ""
}

// VM is one booted kernel. Requests are served one at a time.
type VM struct {
	image   string
	release string
	accel   string

	mu   sync.Mutex // one request at a time
	conn net.Conn
	cmd  *exec.Cmd
	tmp  string

	console *ring
	exited  chan struct{} // closed when QEMU has exited
	waitErr error

	// lastUse is when the last request ended (unix nanoseconds).
	lastUse atomic.Int64

	killOnce sync.Once
	// BootTime is how long the boot to the init's hello took.
	BootTime time.Duration
	// Problems are what the init could not set up.
	Problems []string
	// Bpftool says the guest holds a bpftool (Options.Bpftool): Loadall
	// works.
	Bpftool bool
}

// Release is the guest kernel's release.
func (vm *VM) Release() string { return vm.release }

// Accel is the accelerator the VM runs on ("tcg" or "kvm").
func (vm *VM) Accel() string { return vm.accel }

// Pid is QEMU's process id (the leader of its process group).
func (vm *VM) Pid() int { return vm.cmd.Process.Pid }

// Alive reports whether QEMU still runs.
func (vm *VM) Alive() bool {
	select {
	case <-vm.exited:
		return false
	default:
		return true
	}
}

// ring keeps the last bytes of the console.
type ring struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (r *ring) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.buf = append(r.buf, p...)
	if len(r.buf) > r.max {
		r.buf = append(r.buf[:0], r.buf[len(r.buf)-r.max:]...)
	}
	r.mu.Unlock()
	return len(p), nil
}

func (r *ring) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.buf)
}

// consoleTail is the console's last lines worth quoting: the kernel's
// panic or the init's complaint.
func (vm *VM) consoleTail() string {
	s := strings.TrimSpace(strings.ReplaceAll(vm.console.String(), "\r", ""))
	lines := strings.Split(s, "\n")
	if len(lines) > 6 {
		lines = lines[len(lines)-6:]
	}
	return strings.Join(lines, " | ")
}

// Boot starts a VM for t and waits for its init's hello. ctx ends the
// wait (the VM is then killed); the boot is bounded by BootTimeout.
func Boot(ctx context.Context, opts Options, t Target) (*VM, error) {
	opts.defaults()
	accel := opts.Accel
	if accel == "" {
		accel = detectAccel(ctx, opts, t)
	}
	return boot(ctx, opts, t, accel, opts.BootTimeout)
}

func boot(ctx context.Context, opts Options, t Target, accel string, limit time.Duration) (*VM, error) {
	start := time.Now()
	qemu := opts.QEMU
	if qemu == "" {
		qemu = QEMUBinary()
	}
	qemuPath, err := exec.LookPath(qemu)
	if err != nil {
		return nil, fmt.Errorf("%s is not installed (apt-get install qemu-system-x86; scripts/setup.sh installs it)", qemu)
	}
	initPath := opts.Init
	if initPath == "" {
		if initPath, err = FindInit(); err != nil {
			return nil, err
		}
	}
	init, err := readInit(initPath)
	if err != nil {
		return nil, err
	}
	cacheDir := opts.CacheDir
	if cacheDir == "" {
		cacheDir = defaultCacheDir()
	}
	var extra []cpioEntry
	if opts.Bpftool != "" {
		if extra, err = toolEntries(opts.Bpftool); err != nil {
			return nil, err
		}
	}
	initrd, err := initramfs(cacheDir, init, extra...)
	if err != nil {
		return nil, fmt.Errorf("cannot make the microVM's initramfs: %v", err)
	}
	kernel, err := bootKernel(cacheDir, t.Image)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "kgent-vm-")
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(tmp, "ctl")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("cannot listen for the microVM: %v", err)
	}
	defer ln.Close()
	accelArg := "tcg,tb-size=" + fmt.Sprint(tbSizeMB)
	cpu := "max"
	if accel == "kvm" {
		accelArg = "kvm"
	}
	args := []string{
		"-nodefaults", "-no-user-config", "-display", "none",
		"-accel", accelArg, "-cpu", cpu, "-smp", "1", "-m", fmt.Sprint(opts.MemoryMB),
		"-no-reboot",
		"-kernel", kernel, "-initrd", initrd,
		"-append", kernelArgs(),
		// ttyS0: the console (kernel messages, the init's log) on
		// stdout; ttyS1: the requests, on a socket only we can reach.
		"-serial", "stdio",
		"-chardev", "socket,id=ctl,path=" + sock,
		"-serial", "chardev:ctl",
	}
	// The memory cap: the guest's RAM, TCG's translation buffer and
	// QEMU's own needs (libraries, threads' stacks, device state).
	limitBytes := uint64(opts.MemoryMB+tbSizeMB+1536) << 20
	var cmd *exec.Cmd
	if pl, err := exec.LookPath("prlimit"); err == nil {
		cmd = exec.Command(pl, fmt.Sprintf("--as=%d", limitBytes), "--", qemuPath)
		cmd.Args = append(cmd.Args, args...)
	} else {
		cmd = exec.Command(qemuPath, args...)
	}
	vm := &VM{image: t.Image, accel: accel, cmd: cmd, tmp: tmp, console: &ring{max: 16 << 10}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = vm.console, vm.console
	if debugConsole() {
		cmd.Stdout = io.MultiWriter(vm.console, os.Stderr)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("cannot start %s: %v", qemu, err)
	}
	if cmd.Path != qemuPath {
		// prlimit set the limit on itself before executing QEMU.
	} else {
		lim := unix.Rlimit{Cur: limitBytes, Max: limitBytes}
		_ = unix.Prlimit(cmd.Process.Pid, unix.RLIMIT_AS, &lim, nil)
	}
	go func() {
		vm.waitErr = cmd.Wait()
		close(vm.exited)
	}()
	fail := func(what string) (*VM, error) {
		vm.Kill()
		tail := vm.consoleTail()
		if tail != "" {
			tail = ": " + tail
		} else {
			tail = ", with nothing on its console (the kernel stopped before it printed: too little memory, or an image QEMU cannot start)"
		}
		return nil, fmt.Errorf("the microVM of %s %s%s", filepath.Base(t.Image), what, tail)
	}
	deadline := time.Now().Add(limit)
	type accepted struct {
		c   net.Conn
		err error
	}
	ach := make(chan accepted, 1)
	ln.(*net.UnixListener).SetDeadline(deadline)
	go func() {
		c, err := ln.Accept()
		ach <- accepted{c, err}
	}()
	select {
	case a := <-ach:
		if a.err != nil {
			if !vm.Alive() {
				return fail("exited before it booted (" + exitString(vm.waitErr) + ")")
			}
			return fail(fmt.Sprintf("did not boot within %v", limit))
		}
		vm.conn = a.c
	case <-vm.exited:
		return fail("exited before it booted (" + exitString(vm.waitErr) + ")")
	case <-ctx.Done():
		vm.Kill()
		return nil, ctx.Err()
	}
	// The hello, within the boot limit.
	type frame struct {
		kind byte
		data []byte
		err  error
	}
	fch := make(chan frame, 1)
	vm.conn.SetReadDeadline(deadline)
	go func() {
		k, d, err := ReadFrame(vm.conn)
		fch <- frame{k, d, err}
	}()
	var f frame
	select {
	case f = <-fch:
	case <-ctx.Done():
		vm.Kill()
		return nil, ctx.Err()
	}
	if f.err != nil {
		time.Sleep(100 * time.Millisecond) // let QEMU's exit be seen
		if !vm.Alive() {
			return fail("died while booting (" + exitString(vm.waitErr) + ")")
		}
		return fail(fmt.Sprintf("did not boot within %v (%v)", limit, f.err))
	}
	var h Hello
	if f.kind != KindHello || json.Unmarshal(f.data, &h) != nil || h.Release == "" {
		return fail("sent no hello")
	}
	vm.release, vm.Problems, vm.Bpftool = h.Release, h.Problems, h.Bpftool
	vm.BootTime = time.Since(start)
	vm.lastUse.Store(time.Now().UnixNano())
	if len(t.Config) > 0 {
		if _, err := vm.request(KindConfig, []byte(strings.Join(t.Config, "\n")+"\n"), opts.RequestTimeout); err != nil {
			return nil, err
		}
	}
	return vm, nil
}

// debugConsole: KGENT_VM_DEBUG=1 shows the guest's console (all kernel
// messages, the init's log) on stderr.
func debugConsole() bool { return os.Getenv("KGENT_VM_DEBUG") == "1" }

// kernelArgs is the guest kernel's command line: the console on the
// first serial port, no reboot on panic (QEMU exits: -no-reboot), no
// speculation mitigations (nothing else runs in the guest; they slow
// TCG), and no check that the IO-APIC timer ticks in time (no_timer_check):
// on a loaded host TCG is slow enough for 6.1's check to fail and panic
// the boot ("IO-APIC + timer doesn't work").
func kernelArgs() string {
	a := "console=ttyS0 panic=-1 mitigations=off no_timer_check"
	if !debugConsole() {
		a += " quiet"
	} else {
		a += " printk.time=1"
	}
	return a
}

func exitString(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// idleFor is how long the VM has not served a request (0 while it does).
func (vm *VM) idleFor() time.Duration {
	if !vm.mu.TryLock() {
		return 0
	}
	defer vm.mu.Unlock()
	return time.Since(time.Unix(0, vm.lastUse.Load()))
}

// Kill kills QEMU's whole process group and waits for it.
func (vm *VM) Kill() {
	vm.killOnce.Do(func() {
		if vm.cmd.Process != nil {
			_ = syscall.Kill(-vm.cmd.Process.Pid, syscall.SIGKILL)
		}
		if vm.conn != nil {
			vm.conn.Close()
		}
		select {
		case <-vm.exited:
		case <-time.After(10 * time.Second):
		}
		os.RemoveAll(vm.tmp)
	})
}

// errDied says the VM died (or was killed) during a request: the caller
// may boot another and try again.
type errDied struct{ msg string }

func (e errDied) Error() string { return e.msg }

// request sends one frame and reads the answer within limit; a VM that
// does not answer in time is killed.
func (vm *VM) request(kind byte, payload []byte, limit time.Duration) ([]byte, error) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	defer vm.lastUse.Store(time.Now().UnixNano())
	if !vm.Alive() {
		return nil, errDied{fmt.Sprintf("the microVM of %s (%s) is not running (%s): %s", filepath.Base(vm.image), vm.release, exitString(vm.waitErr), vm.consoleTail())}
	}
	vm.conn.SetDeadline(time.Now().Add(limit))
	w := bufio.NewWriterSize(vm.conn, 64<<10)
	err := WriteFrame(w, kind, payload)
	if err == nil {
		err = w.Flush()
	}
	var k byte
	var ans []byte
	if err == nil {
		k, ans, err = ReadFrame(vm.conn)
	}
	if err != nil {
		var ne net.Error
		timedOut := errors.As(err, &ne) && ne.Timeout()
		vm.Kill()
		if timedOut {
			return nil, fmt.Errorf("the microVM of %s (%s) did not answer within %v and was killed", filepath.Base(vm.image), vm.release, limit)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
			return nil, errDied{fmt.Sprintf("the microVM of %s (%s) died: %s", filepath.Base(vm.image), vm.release, vm.consoleTail())}
		}
		return nil, errDied{fmt.Sprintf("the microVM of %s (%s) failed: %v", filepath.Base(vm.image), vm.release, err)}
	}
	if k != KindAnswer {
		vm.Kill()
		return nil, fmt.Errorf("the microVM of %s answered with an unknown message", filepath.Base(vm.image))
	}
	var e struct {
		Error string `json:"vm_error"`
	}
	if json.Unmarshal(ans, &e) == nil && e.Error != "" {
		return nil, fmt.Errorf("the microVM of %s (%s): %s", filepath.Base(vm.image), vm.release, e.Error)
	}
	return ans, nil
}

// Load hands the object to the guest, which loads each program through
// its kernel's verifier; the answer is the guest's JSON report
// (verify.LoadReport).
func (vm *VM) Load(obj []byte, verbose bool, limit time.Duration) ([]byte, error) {
	kind := KindLoad
	if verbose {
		kind = KindLoadVerbose
	}
	return vm.request(kind, obj, limit)
}

// Loadall has the guest's bpftool load obj as a user's libbpf would:
// `bpftool prog loadall OBJ DIR`, DIR a bpffs directory of its own,
// unpinned and removed afterwards (nothing is attached). The VM must have
// been booted with Options.Bpftool.
func (vm *VM) Loadall(obj []byte, limit time.Duration) (LoadallAnswer, error) {
	var a LoadallAnswer
	if !vm.Bpftool {
		return a, fmt.Errorf("the microVM of %s (%s) holds no bpftool (Options.Bpftool puts one in)", filepath.Base(vm.image), vm.release)
	}
	ans, err := vm.request(KindLoadall, obj, limit)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(ans, &a); err != nil {
		return a, fmt.Errorf("the microVM's answer cannot be read: %v", err)
	}
	return a, nil
}

// Echo sends payload and returns the guest's copy of it (a test of the
// channel).
func (vm *VM) Echo(payload []byte, limit time.Duration) ([]byte, error) {
	return vm.request(KindEcho, payload, limit)
}

// Probe asks the guest for its kernel's features (kb.KernelProbe as JSON).
func (vm *VM) Probe(limit time.Duration) ([]byte, error) {
	return vm.request(KindProbe, nil, limit)
}

// bootable checks that path is a kernel QEMU can boot directly: an x86
// bzImage ("HdrS" at 0x202).
func bootable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("the kernel image %s cannot be read: %v", path, err)
	}
	defer f.Close()
	var hdr [0x206]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil || string(hdr[0x202:0x206]) != "HdrS" {
		return fmt.Errorf("%s is not a bootable kernel image (a bzImage/vmlinuz is needed to boot it in a microVM)", path)
	}
	return nil
}
