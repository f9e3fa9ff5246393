package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/analysis/report"
	"github.com/kgent/kgent/kb"
)

func init() {
	register("check", "check eBPF C and bpftrace files against the target kernel", runCheck)
}

// verifyHook runs verification for `check --verify`; set by verify.go.
var verifyHook func(k *kb.KB, path, text string, d analysis.Dialect, static []analysis.Finding, verbose bool, stderr io.Writer) []analysis.Finding

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", "check [--format text|json|sarif] [--kb DIR] [--btf FILE] [--verify] [-v] PATH...", stderr)
	var kf kbFlags
	addKBFlags(fs, &kf)
	format := fs.String("format", "text", "output format: text, json or sarif")
	verify := fs.Bool("verify", false, "also compile and load through the kernel verifier (bpftrace: its semantic pass); never attaches")
	verbose := fs.Bool("v", false, "verbose: full verifier logs and notes")
	lang := fs.String("lang", "", "language of '-' (stdin) or of files whose name does not tell: c or bpftrace")
	btVersion := fs.String("bpftrace-version", "", "bpftrace version to check against (default: the installed one)")
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
	paths, err := expandPaths(fs.Args())
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	k, err := kb.Load(kf.options(stderr))
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	version := *btVersion
	if version == "" {
		version = os.Getenv("KGENT_BPFTRACE_VERSION")
	}
	var files []report.File
	var mismatches []string
	couldNotRun := false
	for _, p := range paths {
		text, err := readSource(p)
		f := report.File{Path: p, Text: text}
		if err != nil {
			f.Err = err
			couldNotRun = true
			files = append(files, f)
			continue
		}
		d := dialect
		if d == analysis.DialectNone {
			d = analysis.Detect(p, text)
		}
		findings, err := check.File(p, text, check.Options{KB: k, Dialect: d, BpftraceVersion: version})
		if err != nil {
			f.Err = err
			couldNotRun = true
			files = append(files, f)
			continue
		}
		if *verify {
			if verifyHook == nil {
				return &exitError{code: 2, msg: "this build has no verification"}
			}
			findings = verifyHook(k, p, text, d, findings, *verbose, stderr)
		}
		f.Findings = findings
		files = append(files, f)
		if *expect {
			for _, m := range analysis.MatchWants(text, findings) {
				mismatches = append(mismatches, p+": "+m)
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
		if e, w, i := report.Summary(files); *format == "text" {
			fmt.Fprintf(stderr, "%d file(s): %d error(s), %d warning(s), %d note(s) (%s)\n", len(files), e, w, i, check.KernelNote(k))
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

// readSource reads a file, or stdin for "-".
func readSource(p string) (string, error) {
	var data []byte
	var err error
	if p == "-" {
		data, err = io.ReadAll(io.LimitReader(os.Stdin, check.MaxSize+1))
	} else {
		data, err = os.ReadFile(p)
	}
	if err != nil {
		return "", err
	}
	return string(data), nil
}

// expandPaths turns directories into the eBPF sources below them.
func expandPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if a == "-" {
			out = append(out, a)
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if n := d.Name(); p != a && (strings.HasPrefix(n, ".") || n == "node_modules") {
					return filepath.SkipDir
				}
				return nil
			}
			n := d.Name()
			if strings.HasSuffix(n, ".bt") || strings.HasSuffix(n, ".bpf.c") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}
