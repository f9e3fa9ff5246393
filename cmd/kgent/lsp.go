package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/kgent/kgent/analysis/pipeline"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kgent/kgent/lsp"
	"github.com/kgent/kgent/lsp/editor"
)

func init() {
	register("lsp", "run the language server on stdio", runLSP)
	register("bench", "measure whole-process checks, the language server and MCP against the alternatives (kgent bench check|lsp|mcp)", runBench)
}

// stdio joins stdin and stdout into the server's stream.
type stdio struct{}

func (stdio) Read(p []byte) (int, error)  { return os.Stdin.Read(p) }
func (stdio) Write(p []byte) (int, error) { return os.Stdout.Write(p) }
func (stdio) Close() error                { return os.Stdin.Close() }

func runLSP(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("lsp", "lsp [--log FILE] [--kb DIR] [--btf FILE] [--bpftrace-version V] [--debounce DURATION]", stderr)
	var kf kbFlags
	addKBFlags(fs, &kf)
	btVersion := fs.String("bpftrace-version", "", "bpftrace version to check against (default: bpftraceVersion, else the configured bpftrace's)")
	logFile := fs.String("log", "", "write logs to FILE (default: stderr); never stdout")
	debounce := fs.Duration("debounce", 100*time.Millisecond, "quiet time after an edit before analysis (0: none, for benchmarks)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var logw io.Writer = stderr
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return usageErr("cannot open log file: %v", err)
		}
		defer f.Close()
		logw = f
	}
	logger := log.New(logw, "kgent lsp: ", log.LstdFlags)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	opts := lsp.Options{Flags: pipeline.Settings{KBDir: kf.dir, TargetBTF: kf.btf, BpftraceVersion: *btVersion}, Logger: logger, Debounce: *debounce, Version: versionString()}
	if *debounce <= 0 {
		opts.Debounce = -1
	}
	logger.Printf("starting (version %s)", versionString())
	err := lsp.Serve(ctx, stdio{}, opts)
	if errors.Is(err, lsp.ErrExitWithoutShutdown) {
		return &exitError{code: 1, msg: "kgent lsp: exit without shutdown"}
	}
	if err != nil {
		return fmt.Errorf("lsp: %w", err)
	}
	return nil
}

// benchLSP drives `kgent lsp` (and clangd, for comparison) over stdio
// with the benchmark files, a 500-line .bpf.c including vmlinux.h and a
// 300-line .bt, as an editor does: the server's default debounce, one
// edit every --pace (a fast typist), each awaiting its diagnostics.
func benchLSP(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench lsp", "bench lsp [--edits N] [--pace DURATION] [--clangd PATH] [--server PATH]", stderr)
	edits := fs.Int("edits", 200, "one-line edits per session")
	pace := fs.Duration("pace", 60*time.Millisecond, "time between the diagnostics of one edit and the next edit (a keystroke rhythm)")
	clangd := fs.String("clangd", "clangd", "clangd to compare with (\"\" to skip)")
	server, err := benchFlags(fs, args)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kgent-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfile, btfile := filepath.Join(dir, "bench.bpf.c"), filepath.Join(dir, "bench.bt")
	ctext, bttext := editor.GenC(500), editor.GenBT(300)
	if err := os.WriteFile(cfile, []byte(ctext), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(btfile, []byte(bttext), 0o644); err != nil {
		return err
	}
	ctx := context.Background()
	kgent := []string{server, "lsp"}
	opts := map[string]any{"kgent": map[string]any{"verifyOnSave": false}}
	sessions := []editor.Session{
		{Name: "kgent C", Command: kgent, InitializationOptions: opts, Path: cfile, LanguageID: "c", Text: ctext, EditLine: 20, Edit: "\t// edit\n", Edits: *edits, Pace: *pace},
		{Name: "kgent bt", Command: kgent, InitializationOptions: opts, Path: btfile, LanguageID: "bpftrace", Text: bttext, EditLine: 4, Edit: "\t// edit\n", Edits: *edits, Pace: *pace},
	}
	var results []editor.Result
	for _, s := range sessions {
		r, err := editor.Run(ctx, s)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		results = append(results, r)
		fmt.Fprintln(stdout, r)
	}
	if *clangd == "" {
		return nil
	}
	if _, err := exec.LookPath(*clangd); err != nil {
		fmt.Fprintf(stdout, "clangd: not found (%v); no comparison\n", err)
		return nil
	}
	if err := benchVmlinux(dir); err != nil {
		fmt.Fprintf(stdout, "clangd: cannot generate vmlinux.h (%v); no comparison\n", err)
		return nil
	}
	flags := "-target\nbpf\n-D__TARGET_ARCH_x86\n-I" + dir + "\n"
	if err := os.WriteFile(filepath.Join(dir, "compile_flags.txt"), []byte(flags), 0o644); err != nil {
		return err
	}
	cd, err := editor.Run(ctx, editor.Session{Name: "clangd C", Command: []string{*clangd, "--log=error"}, Path: cfile, LanguageID: "c",
		Text: ctext, EditLine: 20, Edit: "\t// edit\n", Edits: max(*edits/10, 10), Pace: *pace, Timeout: 120 * time.Second})
	if err != nil {
		return fmt.Errorf("clangd: %w", err)
	}
	fmt.Fprintln(stdout, cd)
	k := results[0]
	fmt.Fprintf(stdout, "clangd / kgent on the same .bpf.c: first diagnostics %.0fx (warm %.0fx), didChange p50 %.0fx, p99 %.0fx, RSS %.1fx\n",
		ratio(cd.FirstDiagnostics, k.FirstDiagnostics), ratio(cd.WarmOpen, k.WarmOpen), ratio(cd.P50, k.P50), ratio(cd.P99, k.P99), cd.RSS/max(k.RSS, 1))
	return nil
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}
