package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/kgent/kgent/analysis/verify/microvm"
	"github.com/kgent/kgent/kb"
)

// Named kernel profiles: `kgent kb build --image FILE --name NAME` (or
// --from linux-image-*.deb, or --kernel debian-6.1, a kernel
// scripts/kernels.sh cached) builds a profile of another kernel from its
// boot image; `kgent kb list` lists them. --probe boots the kernel in a
// microVM and records what its verifier accepts (helpers per program
// type, attach kinds, map types) instead of leaving them unknown.

func init() {
	kbSubcommands["list"] = runKBList
}

// imageBuildArgs reports whether a kb build is one from a kernel image.
func imageBuildArgs(args []string) bool {
	for _, a := range args {
		switch a {
		case "--image", "-image", "--kernel", "-kernel", "--name", "-name", "--from", "-from":
			return true
		}
		for _, p := range []string{"--image=", "-image=", "--kernel=", "-kernel=", "--name=", "-name=", "--from=", "-from="} {
			if len(a) > len(p) && a[:len(p)] == p {
				return true
			}
		}
	}
	return false
}

func runKBBuildImage(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("kb build", "kb build (--image FILE [--system-map FILE] [--config FILE] [--module-symbols FILE] | --from PACKAGE.deb ... | --kernel NAME) [--name NAME] [--probe]", stderr)
	var from []string
	fs.Func("from", "a distribution kernel package (linux-image-*.deb; repeat for linux-binary-* and linux-base-*)", func(s string) error {
		from = append(from, s)
		return nil
	})
	image := fs.String("image", "", "kernel image (vmlinuz bzImage or vmlinux) of another kernel")
	sysmap := fs.String("system-map", "", "its System.map (optional: the image's own symbol tables are used otherwise)")
	config := fs.String("config", "", "its config file (optional: CONFIG_* facts and attach kinds)")
	modSyms := fs.String("module-symbols", "", `its modules' functions, "t NAME [MODULE]" lines (optional; scripts/kernels.sh writes modules.syms)`)
	kernel := fs.String("kernel", "", "a kernel cached by scripts/kernels.sh (debian-6.1) or a directory with vmlinuz-*, System.map-*, config-*")
	name := fs.String("name", "", "profile name (default: the --kernel name, else the kernel's release)")
	quiet := fs.Bool("q", false, "no progress lines")
	probe := fs.Bool("probe", false, "boot the kernel in a microVM (QEMU) and record which helpers each program type may call, the attach kinds and map types it loads")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	var opts kb.ImageOptions
	given := 0
	for _, g := range []bool{*image != "", *kernel != "", len(from) > 0} {
		if g {
			given++
		}
	}
	switch {
	case given > 1:
		return usageErr("--image, --from and --kernel each name the kernel: give one")
	case *kernel != "":
		o, err := kb.FindKernel(*kernel)
		if err != nil {
			return err
		}
		opts = o
	case *image != "":
		opts = kb.ImageOptions{Image: *image}
	case len(from) > 0:
		opts = kb.ImageOptions{Packages: from}
	default:
		return usageErr("kb build --name needs --image FILE, --from PACKAGE.deb or --kernel NAME")
	}
	if *sysmap != "" {
		opts.SystemMap = *sysmap
	}
	if *config != "" {
		opts.Config = *config
	}
	if *modSyms != "" {
		opts.ModuleSymbols = *modSyms
	}
	if *name != "" {
		opts.Name = *name
	}
	if opts.Name != "" {
		if err := kb.CheckProfileName(opts.Name); err != nil {
			return usageErr("%v", err)
		}
	}
	if !*quiet {
		opts.Progress = func(s string) { fmt.Fprintln(stderr, "kb:", s) }
	}
	if *probe && opts.Image != "" {
		p, where, err := probeInVM(opts.Image, opts.Progress)
		if err != nil {
			return err
		}
		opts.Probe, opts.ProbeWhere = p, where
	}
	k, err := kb.BuildImage(opts)
	if err != nil {
		return err
	}
	if opts.Name == "" {
		// Named after the kernel's release ("6.1.0-50-amd64").
		opts.Name = k.Meta.Kernel
	}
	dir, err := kb.SaveProfile(k, opts.Name)
	if err != nil {
		return err
	}
	if *probe && opts.Probe == nil {
		// From packages: the image is the copy saved with the profile.
		p, where, err := probeInVM(k.Image(), opts.Progress)
		if err != nil {
			return err
		}
		opts.Probe, opts.ProbeWhere = p, where
		if k, err = kb.BuildImage(opts); err != nil {
			return err
		}
		if dir, err = kb.SaveProfile(k, opts.Name); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "profile %s: kernel %s in %s\n", opts.Name, k.Meta.Kernel, dir)
	return nil
}

// probeInVM boots image in a microVM and runs the feature probes there:
// what the kernel's verifier accepts, asked of the kernel itself.
func probeInVM(image string, progress func(string)) (*kb.KernelProbe, string, error) {
	pool := microvm.NewPool(microvm.Options{})
	defer pool.Close()
	if progress != nil {
		progress("booting " + image + " in a microVM to probe its helpers, program types, attach kinds and map types")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ans, release, err := pool.Probe(ctx, microvm.Target{Image: image})
	if err != nil {
		return nil, "", fmt.Errorf("probing %s in a microVM: %w", image, err)
	}
	var p kb.KernelProbe
	if err := json.Unmarshal(ans, &p); err != nil {
		return nil, "", fmt.Errorf("the microVM's probe answer: %w", err)
	}
	if progress != nil {
		progress(fmt.Sprintf("probed %s: %d helpers, %d program types, %d map types", release, len(p.Helpers), len(p.ProgTypes), len(p.MapTypes)))
	}
	return &p, "in a microVM running " + release, nil
}

func runKBList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("kb list", "kb list [--json]", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	ps, err := kb.Profiles()
	if err != nil {
		return err
	}
	if *asJSON {
		if ps == nil {
			ps = []kb.ProfileInfo{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ps)
	}
	if len(ps) == 0 {
		fmt.Fprintf(stdout, "no kernel profiles in %s (kgent kb build --kernel NAME or --image FILE --name NAME makes one)\n", kb.ProfilesDir())
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tRELEASE\tVERSION\tBUILT\tSOURCE")
	for _, p := range ps {
		if p.Error != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\tunusable: %s\n", p.Name, p.Error)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.Kernel, p.Version, p.BuiltAt, p.Source)
	}
	return tw.Flush()
}
