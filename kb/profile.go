package kb

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Named profiles are kbs of other kernels kept in the kb cache under a
// name ("debian-6.1"): <CacheDir>/profiles/<name>/kb.bin and vmlinux.btf.
// They are built from a kernel image (BuildImage) and opened by name.

// ProfilesDir is where named profiles live.
func ProfilesDir() string { return filepath.Join(CacheDir(), "profiles") }

var profileNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$`)

// CheckProfileName says what is wrong with a profile name ("" is wrong,
// "host" is taken by the running kernel, and a name is one path element).
func CheckProfileName(name string) error {
	if name == "host" {
		return errors.New(`"host" names the running kernel, not a profile`)
	}
	if !profileNameRe.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("bad profile name %q: use letters, digits, '.', '_', '+' and '-' (e.g. debian-6.1)", name)
	}
	return nil
}

// SaveProfile stores k in the kb cache as the named profile, with the BTF
// it describes, and returns its directory.
func SaveProfile(k *KB, name string) (string, error) {
	if err := CheckProfileName(name); err != nil {
		return "", err
	}
	if err := PrivateDir(CacheDir()); err != nil {
		return "", err
	}
	if err := PrivateDir(ProfilesDir()); err != nil {
		return "", err
	}
	dir := filepath.Join(ProfilesDir(), name)
	k.Meta.Name = name
	if k.packagedImage != nil {
		// The image came out of a package: a copy beside the profile is
		// what a microVM boots (Image).
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
		img := filepath.Join(dir, bootImageFile)
		if err := writeAtomic(img, func(w io.Writer) error {
			_, err := w.Write(k.packagedImage)
			return err
		}); err != nil {
			return "", err
		}
		k.Meta.Sources[bootImageSource] = img
	}
	if err := k.Save(dir, true); err != nil {
		return "", err
	}
	if k.built != nil {
		// What it was built from, to build it again when a later kgent
		// reads another kb schema.
		b, err := json.Marshal(k.built)
		if err == nil {
			err = writeAtomic(filepath.Join(dir, profileSourceFile), func(w io.Writer) error {
				_, err := w.Write(b)
				return err
			})
		}
		if err != nil {
			return "", err
		}
	}
	k.cached = true
	return dir, nil
}

// bootImageFile, in a profile directory, is the kernel image of a
// profile built from packages; Meta.Sources[bootImageSource] names it.
const (
	bootImageFile   = "vmlinuz"
	bootImageSource = "boot-image"
)

// profileSourceFile, in a profile directory, records what the profile
// was built from (ImageOptions as JSON).
const profileSourceFile = "source.json"

// profileSource reads what a profile was built from.
func profileSource(dir string) (ImageOptions, error) {
	var o ImageOptions
	f, err := OwnedOpen(filepath.Join(dir, profileSourceFile))
	if err != nil {
		return o, err
	}
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	f.Close()
	if err != nil {
		return o, err
	}
	err = json.Unmarshal(b, &o)
	return o, err
}

// rebuildProfile builds a profile of another kb schema again from what it
// was built from, when that is still there.
func rebuildProfile(name, dir string, found int) (*KB, error) {
	o, err := profileSource(dir)
	if err != nil {
		// Made before profiles recorded their source: a kernel
		// scripts/kernels.sh caches under the same name.
		var ferr error
		if o, ferr = FindKernel(name); ferr != nil {
			return nil, err
		}
	}
	for _, p := range append([]string{o.Image}, o.Packages...) {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return nil, err
		}
	}
	o.Name = name
	k, err := BuildImage(o)
	if err != nil {
		return nil, err
	}
	if _, err := SaveProfile(k, name); err != nil {
		return nil, err
	}
	k.Meta.Sources["rebuilt"] = fmt.Sprintf("the profile had kb schema %d, this kgent reads %d: rebuilt from what it was built from", found, SchemaVersion)
	return k, nil
}

// OpenProfile opens a named profile from the kb cache. A profile of
// another kb schema is built again from what it was built from (the
// kernel image or packages, when still there; else the kernel
// scripts/kernels.sh caches under its name), and Meta.Sources["rebuilt"]
// says so; otherwise the error says how to rebuild it.
func OpenProfile(name string) (*KB, error) {
	if err := CheckProfileName(name); err != nil {
		return nil, err
	}
	if err := PrivateDir(CacheDir()); err != nil {
		return nil, err
	}
	dir := filepath.Join(ProfilesDir(), name)
	k, err := loadDir(dir, true)
	var se *schemaError
	switch {
	case errors.As(err, &se):
		if k, rerr := rebuildProfile(name, dir, se.found); rerr == nil {
			return k, nil
		}
		return nil, fmt.Errorf("profile %s was built by another kgent (kb schema %d, this one reads %d): build it again with kgent kb build --image FILE --name %s", name, se.found, SchemaVersion, name)
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("no kernel profile named %s (kgent kb list shows the profiles; kgent kb build --image FILE --name %s makes one)", name, name)
	case err != nil:
		return nil, fmt.Errorf("profile %s: %w", name, err)
	}
	return k, nil
}

// ProfileInfo describes a named profile for listings.
type ProfileInfo struct {
	Name    string `json:"name"`
	Kernel  string `json:"kernel,omitempty"`
	Version string `json:"version,omitempty"`
	Source  string `json:"source,omitempty"` // what it was built from
	BuiltAt string `json:"built_at,omitempty"`
	Dir     string `json:"dir"`
	// Error says why the profile cannot be used ("" when it can).
	Error string `json:"error,omitempty"`
}

// Profiles lists the named profiles in the kb cache, by name; a profile
// that does not open is listed with the reason.
func Profiles() ([]ProfileInfo, error) {
	ents, err := os.ReadDir(ProfilesDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []ProfileInfo
	for _, e := range ents {
		if !e.IsDir() || CheckProfileName(e.Name()) != nil {
			continue
		}
		info := ProfileInfo{Name: e.Name(), Dir: filepath.Join(ProfilesDir(), e.Name())}
		k, err := OpenProfile(e.Name())
		if err != nil {
			info.Error = err.Error()
		} else {
			info.Kernel, info.Version, info.BuiltAt = k.Meta.Kernel, k.Meta.Version, k.Meta.BuiltAt
			info.Source = k.Meta.Source
			if img := k.Meta.Sources["image"]; img != "" {
				info.Source = "image " + img
			}
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// KernelFiles finds a kernel's boot files in a directory (as
// scripts/kernels.sh leaves them: vmlinuz-*, System.map-*, config-*,
// modules.syms).
func KernelFiles(dir string) (ImageOptions, error) {
	one := func(pattern string) string {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		sort.Strings(m)
		if len(m) == 0 {
			return ""
		}
		return m[len(m)-1]
	}
	o := ImageOptions{Image: one("vmlinuz-*"), SystemMap: one("System.map-*"), Config: one("config-*"), ModuleSymbols: one("modules.syms"), Name: filepath.Base(dir)}
	if o.Image == "" {
		o.Image = one("vmlinux*")
	}
	if o.Image == "" {
		return o, fmt.Errorf("%s has no vmlinuz-* or vmlinux", dir)
	}
	return o, nil
}

// KernelsDir is where scripts/kernels.sh caches kernel images:
// KGENT_KERNELS_DIR, else .cache/kernels in the first of the working
// directory and its parents that has one ("" when none does).
func KernelsDir() string {
	if d := os.Getenv("KGENT_KERNELS_DIR"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, ".cache", "kernels")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		if d == filepath.Dir(d) {
			return ""
		}
	}
}

// FindKernel resolves a kernel by name (a directory under KernelsDir,
// e.g. debian-6.1) or by directory path.
func FindKernel(name string) (ImageOptions, error) {
	if strings.ContainsRune(name, os.PathSeparator) {
		return KernelFiles(name)
	}
	if err := CheckProfileName(name); err != nil {
		return ImageOptions{}, err
	}
	base := KernelsDir()
	if base == "" {
		return ImageOptions{}, fmt.Errorf("no kernel images cached (scripts/kernels.sh fetches them into .cache/kernels; KGENT_KERNELS_DIR points elsewhere)")
	}
	return KernelFiles(filepath.Join(base, name))
}

// Config answers a kernel config option ("CONFIG_BPF_LSM"): its value
// and Yes when set, No when the config is known and does not set it,
// Unknown when the kb has no config.
func (k *KB) Config(option string) (string, Tri) {
	if k.config.n == 0 {
		return "", Unknown
	}
	prefix := option + "="
	i := sort.Search(k.config.n, func(i int) bool { return string(k.config.at(k.strs, i)) >= prefix })
	if i < k.config.n {
		if v, ok := strings.CutPrefix(string(k.config.at(k.strs, i)), prefix); ok {
			return v, Yes
		}
	}
	return "", No
}

// HasConfig reports whether the kb knows the kernel's config.
func (k *KB) HasConfig() bool { return k.config.n > 0 }

// Traceable answers whether ftrace (kprobes, fentry) can attach to a
// function: Unknown when the kb has no list of traceable functions.
func (k *KB) Traceable(fn string) Tri {
	if k.traceable.n == 0 {
		return Unknown
	}
	if i := strings.IndexByte(fn, '.'); i > 0 {
		fn = fn[:i]
	}
	i := sort.Search(k.traceable.n, func(i int) bool { return string(k.traceable.at(k.strs, i)) >= fn })
	if i < k.traceable.n && string(k.traceable.at(k.strs, i)) == fn {
		return Yes
	}
	return No
}

// NumTraceable is the number of traceable functions recorded.
func (k *KB) NumTraceable() int { return k.traceable.n }

// ModuleOf names the modules that define a function (none when no module
// does, or the kb does not know the modules' functions).
func (k *KB) ModuleOf(fn string) []string {
	if i := strings.IndexByte(fn, '.'); i > 0 {
		fn = fn[:i]
	}
	prefix := fn + "\t"
	var out []string
	i := sort.Search(k.modFuncs.n, func(i int) bool { return string(k.modFuncs.at(k.strs, i)) >= prefix })
	for ; i < k.modFuncs.n; i++ {
		m, ok := strings.CutPrefix(string(k.modFuncs.at(k.strs, i)), prefix)
		if !ok {
			break
		}
		out = append(out, m)
	}
	return out
}

// NumModuleFuncs is the number of (function, module) pairs recorded.
func (k *KB) NumModuleFuncs() int { return k.modFuncs.n }

// Image is the kernel image a profile was built from (BuildImage records
// it in Meta.Sources["image"]; for an image read out of packages, the copy
// SaveProfile keeps), "" for other kbs. The microVM verifier
// boots it.
func (k *KB) Image() string {
	s := k.Meta.Sources["image"]
	if saved := k.Meta.Sources[bootImageSource]; saved != "" {
		s = saved // the copy of a packaged image
	}
	if s == "" || k.Meta.Source != "btf-file" {
		return ""
	}
	// "PATH (xz-compressed)"
	if i := strings.LastIndex(s, " ("); i > 0 && strings.HasSuffix(s, "-compressed)") {
		s = s[:i]
	}
	if !filepath.IsAbs(s) || strings.Contains(s, ".deb:") {
		return "" // "/p/linux-image.deb:boot/vmlinuz-…" is inside a package
	}
	return s
}

// ConfigLines is the kernel's build configuration as "CONFIG_X=v" lines
// (options set to n are absent), nil when the kb has none.
func (k *KB) ConfigLines() []string {
	if k.config.n == 0 {
		return nil
	}
	out := make([]string, k.config.n)
	for i := range out {
		out[i] = string(k.config.at(k.strs, i))
	}
	return out
}
