package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/kgent/kgent/analysis/verify/microvm"
)

// A kb of another kernel that was built from its boot image (a named
// profile: kb.BuildImage) is verified by that kernel's own verifier, in
// a microVM (package microvm), when Options.VMs is set: the object is
// compiled against the profile's BTF as always, handed to the VM's init,
// which loads it program by program, and the report comes back to be
// mapped onto the program's lines as host verification maps it. The
// host kernel is verified the same way, without root, when kgent is not
// privileged and the running kernel's image is readable
// (/boot/vmlinuz-<release>).

// vmTarget is the VM that verifies for this Verifier's kernel, if any.
func (v *Verifier) vmTarget() (microvm.Target, bool) {
	if v.opts.VMs == nil {
		return microvm.Target{}, false
	}
	k := v.opts.KB
	if k != nil && k.Meta.Source == "btf-file" {
		img := k.Image()
		if img == "" {
			return microvm.Target{}, false
		}
		if _, err := os.Stat(img); err != nil {
			return microvm.Target{}, false
		}
		return microvm.Target{Image: img, Config: k.ConfigLines()}, true
	}
	if k != nil && k.Meta.Source != "host" {
		return microvm.Target{}, false
	}
	if privilege() == "" {
		return microvm.Target{}, false
	}
	img := HostImage()
	if img == "" {
		return microvm.Target{}, false
	}
	t := microvm.Target{Image: img}
	if k != nil {
		t.Config = k.ConfigLines()
	}
	return t, true
}

// HostImage is the running kernel's boot image when this process can
// read it (/boot/vmlinuz-<release>), else "".
func HostImage() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	p := "/boot/vmlinuz-" + unix.ByteSliceToString(u.Release[:])
	if unix.Access(p, unix.R_OK) != nil {
		return ""
	}
	return p
}

// vmWhyNot says why a kb of another kernel is not verified in a VM ("" when
// nothing can be said).
func (v *Verifier) vmWhyNot() string {
	k := v.opts.KB
	if k == nil {
		return ""
	}
	img := k.Image()
	switch {
	case img == "":
		return "its profile was not built from a kernel image, which a microVM could boot"
	case v.opts.VMs == nil:
		return "verification in a microVM is not enabled"
	}
	if _, err := os.Stat(img); err != nil {
		return "its kernel image " + img + " is gone, so no microVM can boot it"
	}
	return ""
}

// vmHostWhyNot says why the host kernel is not verified in a VM when
// kgent is not privileged.
func (v *Verifier) vmHostWhyNot() string {
	if v.opts.VMs == nil {
		return ""
	}
	var u unix.Utsname
	_ = unix.Uname(&u)
	return "nor can a microVM verify for this kernel: /boot/vmlinuz-" + unix.ByteSliceToString(u.Release[:]) + " is not readable"
}

// vmLoad loads the object in t's VM and decodes the report.
func (v *Verifier) vmLoad(ctx context.Context, t microvm.Target, raw []byte) (LoadReport, error) {
	ans, release, err := v.opts.VMs.Load(ctx, t, v.stripped(ctx, raw), v.opts.Verbose)
	if err != nil {
		return LoadReport{}, fmt.Errorf("the kernel's verifier did not run: %v", err)
	}
	var rep LoadReport
	if err := json.Unmarshal(ans, &rep); err != nil {
		return LoadReport{}, fmt.Errorf("the microVM's answer cannot be read: %v", err)
	}
	if rep.Kernel == "" {
		rep.Kernel = release
	}
	return rep, nil
}

// stripped is the object without its DWARF sections (llvm-strip
// --strip-debug), which loading does not read (line info is in
// .BTF.ext): less to move over the VM's serial line. The object itself
// when llvm-strip is missing or fails.
func (v *Verifier) stripped(ctx context.Context, raw []byte) []byte {
	strip, err := lookTool("", "llvm-strip")
	if err != nil {
		return raw
	}
	tmp, err := os.MkdirTemp("", "kgent-strip-")
	if err != nil {
		return raw
	}
	defer os.RemoveAll(tmp)
	in, out := filepath.Join(tmp, "in.o"), filepath.Join(tmp, "out.o")
	if os.WriteFile(in, raw, 0o600) != nil {
		return raw
	}
	if _, _, err := v.run(ctx, tmp, strip, "--strip-debug", "-o", out, in); err != nil {
		return raw
	}
	b, err := os.ReadFile(out)
	if err != nil || len(b) == 0 {
		return raw
	}
	return b
}
