package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/analysis/report"
	"github.com/kgent/kgent/kb"
)

func init() {
	register("check", "check eBPF C and bpftrace files against the target kernel", runCheck)
}

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", "check [--format text|json|sarif] [--kb DIR] [--btf FILE] [--target host,NAME...] [--verify] [--fix] [-v] PATH...", stderr)
	var kf kbFlags
	addKBFlags(fs, &kf)
	format := fs.String("format", "text", "output format: text, json or sarif")
	verify := fs.Bool("verify", false, "also compile and load through the kernel verifier (bpftrace: its semantic pass); never attaches")
	verbose := fs.Bool("v", false, "verbose: full verifier logs and notes")
	lang := fs.String("lang", "", "language of '-' (stdin) or of files whose name does not tell: c or bpftrace")
	btVersion := fs.String("bpftrace-version", "", "bpftrace version to check against (default: the installed one)")
	fix := fs.Bool("fix", false, "apply the fixes that help (each kept only when the file re-checks with fewer findings and none new) and rewrite the files; the report is of the fixed text")
	var targets targetsFlag
	fs.Var(&targets, "target", "check against these kernels: host, host-vm (the running kernel booted in a microVM from /boot/vmlinuz-$(uname -r), verified there without root) and named profiles (kgent kb list), comma-separated or repeated; a profile is built from a kernel image scripts/kernels.sh cached when missing")
	expect := fs.Bool("expect", false, "compare findings with the '// want: KGnnn' comments in the files; exit 0 when they match")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch *format {
	case "text", "json", "sarif":
	default:
		return usageErr("unknown --format %q (text, json, sarif)", *format)
	}
	if fs.NArg() == 0 {
		return usageErr("no files: kgent check PATH... (files or directories; '-' reads stdin)")
	}
	dialect := analysis.ParseDialect(*lang)
	if *lang != "" && dialect == analysis.DialectNone {
		return usageErr("unknown --lang %q (c, bpftrace)", *lang)
	}
	if *fix && slices.Contains(fs.Args(), "-") {
		return usageErr("--fix rewrites files: it cannot fix stdin ('-')")
	}
	paths, skipped, err := expandPaths(fs.Args())
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	for _, s := range skipped {
		fmt.Fprintf(stderr, "kgent: skipped %s\n", s)
	}
	cfg, err := resolveConfig(pipeline.Settings{KBDir: kf.dir, TargetBTF: kf.btf, BpftraceVersion: *btVersion, Targets: targets})
	if err != nil {
		return err
	}
	cfg.Verbose = *verbose
	p, err := openPipeline(cfg, kf, stderr)
	if err != nil {
		return err
	}
	defer p.Close()
	k := p.KB()
	var files []report.File
	var mismatches []string
	couldNotRun := false
	for _, path := range paths {
		text, err := readSource(path)
		f := report.File{Path: path, Text: text}
		if err == nil && *fix {
			text, err = fixFile(p, path, text, dialect, stderr)
			f.Text = text
		}
		if err == nil {
			var r pipeline.Result
			r, err = p.CheckText(context.Background(), pipeline.Document{Path: path, Text: text, Dialect: dialect}, pipeline.Options{Verify: *verify, Job: path})
			switch {
			case err != nil:
			case r.Snapshot.NotChecked != nil:
				err = r.Snapshot.NotChecked
			default:
				f.Findings = r.Findings
				if *verbose && r.Verification.Log != "" {
					fmt.Fprintf(stderr, "== %s: verification log (%v)\n%s\n", path, r.Verification.Duration.Round(1e6), r.Verification.Log)
				}
			}
		}
		if err != nil {
			f.Err = err
			couldNotRun = true
			files = append(files, f)
			continue
		}
		files = append(files, f)
		if *expect {
			for _, m := range analysis.MatchWants(text, f.Findings) {
				mismatches = append(mismatches, path+": "+m)
			}
		}
	}
	kbi := report.KBInfo{Kernel: k.Meta.Kernel, Source: k.Meta.Source, Reference: k.Meta.Reference}
	switch *format {
	case "json":
		err = report.WriteJSON(stdout, files, kbi)
	case "sarif":
		wd, _ := os.Getwd()
		err = report.WriteSARIF(stdout, files, versionString(), wd)
	default:
		err = report.WriteText(stdout, files, *verbose)
		if ts := p.Targets(); err == nil && len(cfg.Targets) > 0 {
			names := make([]string, len(ts))
			for i, t := range ts {
				names[i] = t.Name
				fmt.Fprintf(stderr, "target %s: %s\n", t.Name, pipeline.KernelNote(t.KB))
			}
			fmt.Fprintln(stdout)
			err = report.WriteMatrix(stdout, files, names)
		}
		if e, w, i := report.Summary(files); *format == "text" {
			against := p.KernelNote()
			if ts := p.Targets(); len(cfg.Targets) > 0 {
				against = fmt.Sprintf("checked against %d kernels", len(ts))
			}
			fmt.Fprintf(stderr, "%d file(s): %d error(s), %d warning(s), %d note(s) (%s)\n", len(files), e, w, i, against)
		}
	}
	if err != nil {
		return err
	}
	if *expect {
		if len(mismatches) > 0 {
			for _, m := range mismatches {
				fmt.Fprintln(stderr, "mismatch:", m)
			}
			return &exitError{code: 1, msg: fmt.Sprintf("%d finding(s) differ from the files' want comments", len(mismatches))}
		}
		fmt.Fprintln(stderr, "all findings are the expected ones")
		return nil
	}
	if couldNotRun {
		return &exitError{code: 2}
	}
	for _, f := range files {
		if analysis.HasErrors(f.Findings) {
			return &exitError{code: 1}
		}
	}
	return nil
}

// fixFile applies the fixes that help to one file and rewrites it (the
// file a link names, through a temporary file renamed over it, with its
// mode kept); it says on stderr what it applied. stdin is not rewritten.
func fixFile(p *pipeline.Pipeline, path, text string, d analysis.Dialect, stderr io.Writer) (string, error) {
	fixed, applied, _, err := p.FixAll(context.Background(), pipeline.Document{Path: path, Text: text, Dialect: d}, pipeline.FixOptions{})
	if err != nil || len(applied) == 0 {
		return text, err
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return text, err
	}
	st, err := os.Stat(real)
	if err != nil {
		return text, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(real), "."+filepath.Base(real)+".kgent-fix-*")
	if err != nil {
		return text, fmt.Errorf("cannot rewrite %s: %v", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, nothing is there
	if _, err = tmp.WriteString(fixed); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), st.Mode().Perm())
	}
	if err == nil {
		err = os.Rename(tmp.Name(), real)
	}
	if err != nil {
		return text, fmt.Errorf("cannot rewrite %s: %v", path, err)
	}
	for _, a := range applied {
		fmt.Fprintf(stderr, "kgent: fixed %s:%d: %s %s\n", path, a.Line+1, a.Code, a.Title)
	}
	return fixed, nil
}

// readSource reads a file, or stdin for "-". Only a regular file is
// read (kb.ReadRegular): /dev/zero, a named pipe or /proc/self/fd/0 named
// on the command line is an error, not a read without end ('-' is how
// stdin is checked).
func readSource(p string) (string, error) {
	var data []byte
	var err error
	if p == "-" {
		data, err = io.ReadAll(io.LimitReader(os.Stdin, check.MaxSize+1))
	} else {
		data, err = kb.ReadRegular(p, check.MaxSize)
	}
	var fe *kb.FileError
	switch {
	case errors.Is(err, kb.ErrTooLarge):
		return "", check.ErrTooLarge
	case errors.As(err, &fe):
		return "", errors.New(fe.Reason)
	case err != nil:
		return "", err
	}
	return string(data), nil
}

// expandPaths turns directories into the eBPF sources below them; a
// file named on the command line is kept as it is. A walk neither follows
// symbolic links (a link named x.bt may lead out of the tree, to /dev/zero;
// one to a file inside the tree names a file the walk finds anyway) nor
// opens special files (a named pipe called x.bt would block the read):
// those are returned in skipped, with the reason.
func expandPaths(args []string) (out, skipped []string, err error) {
	for _, a := range args {
		if a == "-" {
			out = append(out, a)
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		root := a
		if lst, err := os.Lstat(a); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
			// A directory named through a link is walked; links
			// inside it are not followed.
			root = a + string(filepath.Separator)
		}
		var found []string
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "node_modules") {
					return filepath.SkipDir
				}
				return nil
			}
			n := d.Name()
			if !strings.HasSuffix(n, ".bt") && !strings.HasSuffix(n, ".bpf.c") {
				return nil
			}
			if why := kb.NotRegular(d.Type()); why != "" {
				if d.Type()&fs.ModeSymlink != 0 {
					why = "is a symbolic link (a directory walk does not follow links: name the file to check it)"
				}
				skipped = append(skipped, p+": "+why)
				return nil
			}
			found = append(found, p)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, skipped, nil
}
