package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kgent/kgent/kb"
)

func init() {
	register("kb", "build, inspect and query the kernel knowledge base", runKB)
}

// kbFlags are the flags every command that needs a kb shares.
type kbFlags struct {
	dir, btf string
	rebuild  bool
}

func (f *kbFlags) options(stderr io.Writer) kb.Options {
	return kb.Options{
		Dir:     f.dir,
		BTFFile: f.btf,
		Rebuild: f.rebuild,
		Warn:    func(s string) { fmt.Fprintln(stderr, "kgent: warning:", s) },
	}
}

func runKB(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErr("usage: kgent kb build|info|list|lookup|search ...")
	}
	switch args[0] {
	case "build":
		return runKBBuild(args[1:], stdout, stderr)
	case "info":
		return runKBInfo(args[1:], stdout, stderr)
	case "lookup":
		return runKBLookup(args[1:], stdout, stderr)
	}
	if sub, ok := kbSubcommands[args[0]]; ok {
		return sub(args[1:], stdout, stderr)
	}
	return usageErr("unknown kb command %q (build, info, lookup)", args[0])
}

// kbSubcommands lets other files add `kgent kb X` commands.
var kbSubcommands = map[string]func(args []string, stdout, stderr io.Writer) error{}

func runKBBuild(args []string, stdout, stderr io.Writer) error {
	if imageBuildArgs(args) { // a named profile of another kernel (kbtargets.go)
		return runKBBuildImage(args, stdout, stderr)
	}
	fs := newFlags("kb build", "kb build [--btf FILE] [--out DIR] [--no-probe]", stderr)
	btfFile := fs.String("btf", "", "build for another kernel from its BTF file")
	out := fs.String("out", "", "write a portable profile into DIR instead of the cache")
	noProbe := fs.Bool("no-probe", false, "do not load probe programs")
	quiet := fs.Bool("q", false, "no progress lines")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	progress := func(s string) {
		if !*quiet {
			fmt.Fprintln(stderr, "kb:", s)
		}
	}
	if *out != "" {
		k, err := kb.Build(kb.BuildOptions{BTFFile: *btfFile, NoProbe: *noProbe, Progress: progress})
		if err != nil {
			return err
		}
		if err := k.Save(*out, true); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote kb profile for kernel %s to %s\n", k.Meta.Kernel, *out)
		return nil
	}
	k, err := kb.Load(kb.Options{BTFFile: *btfFile, Rebuild: true, NoProbe: *noProbe, Progress: progress,
		Warn: func(s string) { fmt.Fprintln(stderr, "kgent: warning:", s) }})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kb for kernel %s in %s\n", k.Meta.Kernel, k.Dir())
	return nil
}

func addKBFlags(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
}, f *kbFlags) {
	fs.StringVar(&f.dir, "kb", "", "kb directory (a portable profile from 'kgent kb build --out')")
	fs.StringVar(&f.btf, "btf", "", "check against the kernel of this BTF file")
}

func runKBInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("kb info", "kb info [--kb DIR] [--btf FILE] [--json]", stderr)
	var kf kbFlags
	addKBFlags(fs, &kf)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	k, err := kb.Load(kf.options(stderr))
	if err != nil {
		return err
	}
	info := k.Info()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Fprintf(stdout, "kernel:      %s (%s)\n", info.Kernel, info.Source)
	if info.Reference {
		fmt.Fprintln(stdout, "             embedded reference kernel: facts may differ from the target")
	}
	fmt.Fprintf(stdout, "directory:   %s\n", info.Dir)
	fmt.Fprintf(stdout, "built:       %s (schema %d, privileged probes: %v)\n", info.BuiltAt, info.Schema, info.Privileged)
	keys := make([]string, 0, len(info.Counts))
	for c := range info.Counts {
		keys = append(keys, c)
	}
	sort.Strings(keys)
	for _, c := range keys {
		fmt.Fprintf(stdout, "%-16s %d\n", c+":", info.Counts[c])
	}
	fmt.Fprintln(stdout, "attach kinds:")
	for _, a := range info.Attach {
		fmt.Fprintf(stdout, "  %-13s %-8s %s\n", a.Kind, a.Supported, a.Reason)
	}
	fmt.Fprintln(stdout, "sources:")
	keys = keys[:0]
	for s := range info.Sources {
		keys = append(keys, s)
	}
	sort.Strings(keys)
	for _, s := range keys {
		fmt.Fprintf(stdout, "  %-20s %s\n", s, info.Sources[s])
	}
	return nil
}

func runKBLookup(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("kb lookup", "kb lookup [--kb DIR] [--btf FILE] [--kind KIND] [--json] NAME", stderr)
	var kf kbFlags
	addKBFlags(fs, &kf)
	kind := fs.String("kind", "any", "what NAME is: "+strings.Join(kb.LookupKinds, ", ")+" or any; * and ? are wildcards")
	asJSON := fs.Bool("json", false, "print JSON (the answer of MCP's lookup_kernel)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("kb lookup takes one NAME")
	}
	k, err := kb.Load(kf.options(stderr))
	if err != nil {
		return err
	}
	res, err := k.LookupFacts(*kind, fs.Arg(0))
	if err != nil {
		return usageErr("%v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		if len(res.Matches) == 0 {
			fmt.Fprintf(stdout, "%s: not known to the kb for kernel %s\n", fs.Arg(0), k.Meta.Kernel)
			for _, h := range res.Hints {
				fmt.Fprintln(stdout, h)
			}
			if len(res.Nearest) > 0 {
				fmt.Fprintf(stdout, "did you mean: %s\n", strings.Join(res.Nearest, ", "))
			}
		}
		for _, m := range res.Matches {
			fmt.Fprintf(stdout, "%s %s (%s)\n", m.Kind, m.Name, m.Source)
			for _, l := range m.Lines() {
				fmt.Fprintf(stdout, "    %s\n", l)
			}
		}
		if res.Truncated {
			fmt.Fprintln(stdout, "(more matched: narrow the pattern)")
		}
	}
	if len(res.Matches) == 0 {
		return &exitError{code: 1}
	}
	return nil
}
