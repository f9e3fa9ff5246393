package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/kgent/kgent/kb"
)

// Named kernel profiles: `kgent kb build --image FILE --name NAME` (or
// --kernel debian-6.1, a kernel scripts/kernels.sh cached) builds a
// profile of another kernel from its boot image; `kgent kb list` lists
// them.

func init() {
	kbSubcommands["list"] = runKBList
}

// imageBuildArgs reports whether a kb build is one from a kernel image.
func imageBuildArgs(args []string) bool {
	for _, a := range args {
		switch a {
		case "--image", "-image", "--kernel", "-kernel", "--name", "-name":
			return true
		}
		for _, p := range []string{"--image=", "-image=", "--kernel=", "-kernel=", "--name=", "-name="} {
			if len(a) > len(p) && a[:len(p)] == p {
				return true
			}
		}
	}
	return false
}

func runKBBuildImage(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("kb build", "kb build (--image FILE [--system-map FILE] [--config FILE] | --kernel NAME) [--name NAME]", stderr)
	image := fs.String("image", "", "kernel image (vmlinuz bzImage or vmlinux) of another kernel")
	sysmap := fs.String("system-map", "", "its System.map (optional: the image's own symbol tables are used otherwise)")
	config := fs.String("config", "", "its config file (optional: CONFIG_* facts and attach kinds)")
	kernel := fs.String("kernel", "", "a kernel cached by scripts/kernels.sh (debian-6.1) or a directory with vmlinuz-*, System.map-*, config-*")
	name := fs.String("name", "", "profile name (default: the --kernel name)")
	quiet := fs.Bool("q", false, "no progress lines")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	var opts kb.ImageOptions
	switch {
	case *image != "" && *kernel != "":
		return usageErr("--image and --kernel name the kernel twice: give one")
	case *kernel != "":
		o, err := kb.FindKernel(*kernel)
		if err != nil {
			return err
		}
		opts = o
	case *image != "":
		opts = kb.ImageOptions{Image: *image}
	default:
		return usageErr("kb build --name needs --image FILE or --kernel NAME")
	}
	if *sysmap != "" {
		opts.SystemMap = *sysmap
	}
	if *config != "" {
		opts.Config = *config
	}
	if *name != "" {
		opts.Name = *name
	}
	if opts.Name == "" {
		return usageErr("--image needs --name NAME for the profile")
	}
	if err := kb.CheckProfileName(opts.Name); err != nil {
		return usageErr("%v", err)
	}
	if !*quiet {
		opts.Progress = func(s string) { fmt.Fprintln(stderr, "kb:", s) }
	}
	k, err := kb.BuildImage(opts)
	if err != nil {
		return err
	}
	dir, err := kb.SaveProfile(k, opts.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "profile %s: kernel %s in %s\n", opts.Name, k.Meta.Kernel, dir)
	return nil
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
