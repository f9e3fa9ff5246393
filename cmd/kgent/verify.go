package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/kb"
)

func init() {
	var v *verify.Verifier
	verifyHook = func(k *kb.KB, path, text string, d analysis.Dialect, static []analysis.Finding, verbose bool, stderr io.Writer) []analysis.Finding {
		if v == nil {
			var includes []string
			if env := os.Getenv("KGENT_INCLUDE_PATHS"); env != "" {
				includes = strings.Split(env, ":")
			}
			v = verify.New(verify.Options{KB: k, ClangPath: os.Getenv("KGENT_CLANG"), BpftracePath: os.Getenv("KGENT_BPFTRACE"), IncludePaths: includes, Verbose: verbose})
		}
		r := v.Verify(context.Background(), path, text, d)
		if verbose && r.Log != "" {
			fmt.Fprintf(stderr, "== %s: verification log (%v)\n%s\n", path, r.Duration.Round(1e6), r.Log)
		}
		return verify.Merge(static, r.Findings)
	}
}
