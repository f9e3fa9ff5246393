package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/kgent/kgent/lsp"
)

func init() {
	register("lsp", "run the language server on stdio", runLSP)
}

// stdio joins stdin and stdout into the server's stream.
type stdio struct{}

func (stdio) Read(p []byte) (int, error)  { return os.Stdin.Read(p) }
func (stdio) Write(p []byte) (int, error) { return os.Stdout.Write(p) }
func (stdio) Close() error                { return nil }

func runLSP(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("lsp", "lsp [--log FILE] [--kb DIR] [--btf FILE]", stderr)
	var kf kbFlags
	addKBFlags(fs, &kf)
	logFile := fs.String("log", "", "write logs to FILE (default: stderr); never stdout")
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
	lsp.Version = versionString()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	opts := lsp.Options{KB: kf.options(logw), Logger: logger}
	logger.Printf("starting (version %s)", versionString())
	if err := lsp.Serve(ctx, stdio{}, opts); err != nil {
		return fmt.Errorf("lsp: %w", err)
	}
	return nil
}
