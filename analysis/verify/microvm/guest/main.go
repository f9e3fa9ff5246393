// Command kgent-vminit is the init of kgent's verification microVM: the
// only process of a kernel booted in QEMU (see package microvm). It
// mounts what the verifier needs, raises the memlock limit, says hello on
// the second serial port and then answers requests there: an ELF object
// is loaded program by program through this kernel's verifier (never
// attached, everything closed again) and the report goes back as JSON;
// a probe request answers with the kernel's features; when the VM holds a
// bpftool (microvm.Options.Bpftool), a loadall request has it load an
// object with libbpf (loadall.go). It must be built
// with CGO_ENABLED=0: the initramfs holds nothing else.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/analysis/verify/microvm"
	"github.com/kgent/kgent/kb"
)

func main() {
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "kgent-vminit is the init of kgent's verification microVM (PID 1 of a kernel booted by kgent); it does nothing on a running system")
		os.Exit(2)
	}
	// The whole VM is this process: a Go runtime failure would panic the
	// kernel (panic=-1 ends QEMU), which the host reports.
	debug.SetGCPercent(50)
	start := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "kgent-vminit: %.3fs: %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	logf("started")
	var problems []string
	mount := func(src, dir, fstype string) {
		_ = os.MkdirAll(dir, 0o755)
		if err := unix.Mount(src, dir, fstype, 0, ""); err != nil && err != unix.EBUSY {
			problems = append(problems, fmt.Sprintf("mount %s on %s: %v", fstype, dir, err))
		}
	}
	if _, err := os.Stat("/proc/self"); err != nil {
		mount("proc", "/proc", "proc")
		mount("sysfs", "/sys", "sysfs")
		mount("devtmpfs", "/dev", "devtmpfs")
		mount("bpf", "/sys/fs/bpf", "bpf")
		// cilium/ebpf probes the kernel while its packages initialise
		// (before main) and keeps what it found: without /proc, every
		// load would fail on a token lookup. Run again, mounted.
		if len(problems) == 0 {
			err := unix.Exec("/init", []string{"/init"}, os.Environ())
			problems = append(problems, "exec /init: "+err.Error())
		}
	}
	// cilium/ebpf's rlimit decides at package init, before /proc was
	// mounted, and fails; kernels before 5.11 charge BPF memory to
	// RLIMIT_MEMLOCK, so it is raised here directly.
	if err := rlimit.RemoveMemlock(); err != nil {
		inf := &unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}
		if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, inf); err != nil {
			problems = append(problems, "memlock: "+err.Error())
		}
	}
	logf("mounted, memlock raised")
	var u unix.Utsname
	_ = unix.Uname(&u)
	release := unix.ByteSliceToString(u.Release[:])

	// A blocking descriptor, read and written outside Go's poller: every
	// wake-up costs under TCG, and the port is this process's only work.
	fd, err := unix.Open("/dev/ttyS1", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kgent-vminit: no control port:", err)
		halt()
	}
	tty := os.NewFile(uintptr(fd), "/dev/ttyS1")
	if err := rawMode(int(tty.Fd())); err != nil {
		fmt.Fprintln(os.Stderr, "kgent-vminit: control port:", err)
		halt()
	}
	logf("control port open")
	_, err = os.Stat(microvm.GuestBpftool)
	hello, _ := json.Marshal(microvm.Hello{Release: release, Problems: problems, Bpftool: err == nil})
	if err := microvm.WriteFrame(tty, microvm.KindHello, hello); err != nil {
		fmt.Fprintln(os.Stderr, "kgent-vminit: hello:", err)
		halt()
	}
	for {
		kind, payload, err := microvm.ReadFrame(tty)
		if err != nil {
			// A broken frame: say so and wait for the next one.
			fmt.Fprintln(os.Stderr, "kgent-vminit: reading a request:", err)
			answer(tty, map[string]string{"vm_error": "bad request: " + err.Error()})
			time.Sleep(10 * time.Millisecond)
			continue
		}
		t0 := time.Now()
		if kind == microvm.KindEcho {
			if err := microvm.WriteFrame(tty, microvm.KindAnswer, payload); err != nil {
				logf("echo: %v", err)
			}
			continue
		}
		answer(tty, serve(kind, payload, release))
		logf("request %q of %d bytes answered in %v", kind, len(payload), time.Since(t0).Round(time.Millisecond))
	}
}

// serve answers one request; a panic becomes an error answer.
func serve(kind byte, payload []byte, release string) (out any) {
	defer func() {
		if p := recover(); p != nil {
			out = map[string]string{"vm_error": fmt.Sprintf("the microVM's init failed (this is a bug): %v", p)}
		}
	}()
	switch kind {
	case microvm.KindConfig:
		// libbpf reads /boot/config-<release> for __kconfig externs.
		if err := os.WriteFile("/boot/config-"+release, payload, 0o644); err != nil {
			return map[string]string{"vm_error": err.Error()}
		}
		return map[string]bool{"ok": true}
	case microvm.KindLoad, microvm.KindLoadVerbose:
		rep := verify.LoadObject(context.Background(), payload, kind == microvm.KindLoadVerbose)
		rep.Kernel = release
		trimLogs(&rep)
		return rep
	case microvm.KindLoadall:
		return loadall(payload)
	case microvm.KindProbe:
		p, err := kb.ProbeRunningKernel()
		if err != nil {
			return map[string]string{"vm_error": err.Error()}
		}
		return p
	}
	return map[string]string{"vm_error": fmt.Sprintf("unknown request %q", kind)}
}

// maxLogLines is how much of a program's verifier log goes back to the
// host: its end, where the verifier's complaint and the failing
// instruction are (the serial line moves a few KiB a second under TCG;
// a full log of a complex program is megabytes).
const maxLogLines = 400

// trimLogs keeps the end of each log and every line about a poisoned
// CO-RE relocation (the host names the missing field from them).
func trimLogs(rep *verify.LoadReport) {
	for i := range rep.Programs {
		pr := &rep.Programs[i]
		if len(pr.Log) <= maxLogLines {
			continue
		}
		cut := len(pr.Log) - maxLogLines
		var keep []string
		for _, l := range pr.Log[:cut] {
			if strings.Contains(l, "poisoned by CO-RE") {
				keep = append(keep, l)
			}
		}
		pr.LogOmitted = cut - len(keep)
		pr.Log = append(keep, pr.Log[cut:]...)
	}
}

func answer(tty *os.File, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"vm_error": err.Error()})
	}
	if err := microvm.WriteFrame(tty, microvm.KindAnswer, b); err != nil {
		fmt.Fprintln(os.Stderr, "kgent-vminit: answering:", err)
	}
}

// rawMode makes the serial port carry bytes unchanged: no echo, no line
// editing, no CR/NL translation, no flow control characters, 8 bits.
func rawMode(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CRTSCTS
	t.Cflag |= unix.CS8 | unix.CLOCAL | unix.CREAD
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

func halt() {
	unix.Sync()
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}
