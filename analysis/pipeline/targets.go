package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/kb"
)

// Host names the kernel of the pipeline's own kb (the running kernel, or
// the kb kbDir or targetBTF chose) among targets.
const Host = "host"

// Target is one kernel programs are checked against.
type Target struct {
	// Name is "host" or a named profile ("debian-6.1").
	Name string
	KB   *kb.KB
}

// Label is the target's name with its kernel release, for messages.
func (t Target) Label() string {
	if t.KB == nil || t.KB.Meta.Kernel == "" || t.KB.Meta.Kernel == t.Name {
		return t.Name
	}
	return t.Name + " (" + t.KB.Meta.Kernel + ")"
}

// HostVM names the running kernel verified by its own verifier in a
// microVM booted from its boot image (/boot/vmlinuz-$(uname -r)), as any
// target built from an image is: without root, and without loading
// anything into the running kernel. Its kb is built from that image.
const HostVM = "host-vm"

// openHostVM opens the profile of the running kernel (release) built from
// its image in bootDir, building it (and caching it as the profile
// "host-vm") when there is none of that image yet. The errors say what is
// missing: the image, or the right to read it (Debian installs it 0600).
func openHostVM(bootDir, release string, progress func(string)) (*kb.KB, error) {
	img := filepath.Join(bootDir, "vmlinuz-"+release)
	if _, err := os.Stat(img); err != nil {
		return nil, fmt.Errorf("%s boots the running kernel's own image, and there is none: %v (this machine does not keep the image of the kernel it runs in %s; name a profile of the same kernel instead)", HostVM, err, bootDir)
	}
	if err := unix.Access(img, unix.R_OK); err != nil {
		return nil, fmt.Errorf("%s boots the running kernel's own image, and %s is not readable by this user (%v): make it readable (sudo chmod 0644 %s) or verify as root with the target host", HostVM, img, err, img)
	}
	if k, err := kb.OpenProfile(HostVM); err == nil && k.Image() == img && k.Meta.Kernel == release {
		return k, nil
	}
	opts := kb.ImageOptions{Image: img, Name: HostVM, Progress: progress}
	for _, f := range []struct {
		dst  *string
		name string
	}{{&opts.Config, "config-"}, {&opts.SystemMap, "System.map-"}} {
		p := filepath.Join(bootDir, f.name+release)
		if unix.Access(p, unix.R_OK) == nil {
			*f.dst = p
		}
	}
	k, err := kb.BuildImage(opts)
	if err != nil {
		return nil, fmt.Errorf("building profile %s from %s: %w", HostVM, img, err)
	}
	if _, serr := kb.SaveProfile(k, HostVM); serr != nil && progress != nil {
		progress("profile " + HostVM + " not saved: " + serr.Error())
	}
	return k, nil
}

// hostBootDir and hostRelease say where host-vm finds the running
// kernel's image (tests point them at a cached Debian kernel).
var (
	hostBootDir = "/boot"
	hostRelease = kernelRelease
)

// kernelRelease is the running kernel's release (uname -r).
func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// OpenTarget opens the kb of a named target: "host" is primary; HostVM
// is a profile of the running kernel built from its own image; a name
// is a profile in the kb cache, built first from the kernel image
// scripts/kernels.sh cached under that name when there is no profile yet
// (progress, when set, hears about the build).
func OpenTarget(name string, primary *kb.KB, progress func(string)) (*kb.KB, error) {
	if name == Host {
		if primary == nil {
			return nil, ErrNoKB
		}
		return primary, nil
	}
	if name == HostVM {
		return openHostVM(hostBootDir, hostRelease(), progress)
	}
	k, err := kb.OpenProfile(name)
	if err == nil && !imageGone(k, name) {
		return k, nil
	}
	if _, statErr := os.Stat(kb.ProfilesDir() + "/" + name); err != nil && !errors.Is(statErr, os.ErrNotExist) {
		return nil, err
	}
	img, ferr := kb.FindKernel(name)
	if ferr != nil {
		return nil, fmt.Errorf("%v (and no cached kernel image of that name: %v)", err, ferr)
	}
	img.Name, img.Progress = name, progress
	built, berr := kb.BuildImage(img)
	if berr != nil {
		return nil, fmt.Errorf("building profile %s from %s: %w", name, img.Image, berr)
	}
	if _, serr := kb.SaveProfile(built, name); serr != nil && progress != nil {
		progress("profile " + name + " not saved: " + serr.Error())
	}
	return built, nil
}

// imageGone: k was built from a kernel image that is no longer where it
// was (a deleted checkout's .cache/kernels) while the cache holds that
// kernel under name again, so the profile is rebuilt from the image that
// is there; a microVM could not boot the old path.
func imageGone(k *kb.KB, name string) bool {
	img := k.Image()
	if img == "" {
		return false
	}
	if _, err := os.Stat(img); err == nil {
		return false
	}
	_, err := kb.FindKernel(name)
	return err == nil
}

// openTargets opens the configured targets; none configured is the
// primary kb alone, unnamed.
func openTargets(names []string, primary *kb.KB, open func(string) (*kb.KB, error)) ([]Target, []Problem) {
	if len(names) == 0 {
		if primary == nil {
			return nil, nil
		}
		return []Target{{Name: Host, KB: primary}}, nil
	}
	var ts []Target
	var probs []Problem
	for _, n := range names {
		k := primary
		if n != Host {
			var err error
			if k, err = open(n); err != nil {
				probs = append(probs, Problem{Layer: "targets", Key: n, Reason: err.Error()})
				continue
			}
		} else if k == nil {
			probs = append(probs, Problem{Layer: "targets", Key: n, Reason: ErrNoKB.Error()})
			continue
		}
		ts = append(ts, Target{Name: n, KB: k})
	}
	return ts, probs
}

// splitTargets reads "host,debian-6.1" (commas or spaces) into names.
func splitTargets(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, f)
	}
	return out
}

// matrix merges the findings of each target into one list in which a
// problem is one finding naming the kernels it applies to: findings of
// the same code, severity and fix on the same span are one (a missing
// target the object provides for on one kernel, a warning, is not the
// error on a kernel where nothing does; kmem_cache_alloc_noprof on one
// kernel is not filemap_alloc_folio on another); one that does not apply to
// every target says on which ("... (on debian-5.10)"), and every finding
// records its targets. The per-kernel "checked against kernel" notes
// become one note naming the kernels.
func matrix(ts []Target, per [][]analysis.Finding) []analysis.Finding {
	if len(ts) == 1 {
		return per[0]
	}
	type key struct {
		code string
		span analysis.Span
		sev  analysis.Severity
		fix  string
	}
	type group struct {
		f     analysis.Finding
		names []string
		notes []string
	}
	var order []key
	groups := map[key]*group{}
	kernelNotes := map[string]bool{}
	for _, t := range ts {
		kernelNotes[noteOf(t)] = true
	}
	for i, fs := range per {
		for _, f := range fs {
			k := key{f.Code, f.Span, f.Severity, fixText(f)}
			if groups[k] == nil {
				// A finding without a fix joins one with, and the
				// other way round: only two fixes that differ split.
				for _, o := range order {
					if o.code == k.code && o.span == k.span && o.sev == k.sev && (o.fix == "" || k.fix == "") {
						k = o
						break
					}
				}
			}
			g := groups[k]
			if g == nil {
				g = &group{f: f}
				groups[k] = g
				order = append(order, k)
			}
			if len(g.names) == 0 || g.names[len(g.names)-1] != ts[i].Name {
				g.names = append(g.names, ts[i].Name)
			}
			for _, n := range f.Notes {
				if !kernelNotes[n] && !slices.Contains(g.notes, n) {
					g.notes = append(g.notes, n)
				}
			}
		}
	}
	out := make([]analysis.Finding, 0, len(order))
	for _, k := range order {
		g := groups[k]
		f := g.f
		f.Targets = g.names
		var labels []string
		for _, n := range g.names {
			for _, t := range ts {
				if t.Name == n {
					labels = append(labels, t.Label())
				}
			}
		}
		if len(g.names) < len(ts) {
			f.Message += " (on " + strings.Join(g.names, ", ") + ")"
		}
		f.Notes = append(g.notes, "checked against "+strings.Join(labels, ", "))
		out = append(out, f)
	}
	return analysis.Sort(out)
}

// fixText is what a finding's first fix writes.
func fixText(f analysis.Finding) string {
	if len(f.Fixes) == 0 {
		return ""
	}
	var b strings.Builder
	for _, e := range f.Fixes[0].Edits {
		fmt.Fprintf(&b, "%d:%d:%s\x00", e.Span.Start, e.Span.End, e.NewText)
	}
	return b.String()
}

func noteOf(t Target) string {
	if t.KB == nil {
		return ""
	}
	return check.KernelNote(t.KB)
}
