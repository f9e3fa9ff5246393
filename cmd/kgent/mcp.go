package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/kgent/kgent/agent"
	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/mcp"
)

func init() {
	register("mcp", "run the MCP server (tools for coding agents) on stdio", runMCP)
}

func runMCP(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("mcp", "mcp [--kb DIR] [--btf FILE] [--provider offline|openai] [--bpftrace-version V] [-v]", stderr)
	var kf kbFlags
	addKBFlags(fs, &kf)
	provider := fs.String("provider", "", "generate_program's provider: offline or openai (default: openai when KGENT_LLM_BASE_URL or OPENAI_API_KEY is set)")
	btVersion := fs.String("bpftrace-version", "", "bpftrace version to check against (default: the installed one)")
	verbose := fs.Bool("v", false, "log every call on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := resolveConfig(pipeline.Settings{KBDir: kf.dir, TargetBTF: kf.btf, BpftraceVersion: *btVersion, LLM: pipeline.LLM{Provider: *provider}})
	if err != nil {
		return err
	}
	opts := mcp.Options{Version: versionString()}
	if opts.Provider, err = agent.ProviderFor(cfg.LLM, os.Getenv); err != nil {
		// The other tools still serve; generate_program says why.
		opts.ProviderErr = err
	}
	if key := os.Getenv("OPENAI_API_KEY"); key != "" {
		opts.Secrets = append(opts.Secrets, key)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	// stdout is the protocol; everything else goes to stderr.
	opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	p, err := openPipeline(cfg, kf, stderr)
	if err != nil {
		return err
	}
	// The nearest-name indexes are built in the background: the first
	// request does not wait for them (a lookup builds what it needs).
	go p.KB().Warm()
	opts.Pipeline = p
	defer p.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := mcp.Run(ctx, opts, os.Stdin, os.Stdout); err != nil && ctx.Err() == nil {
		return fmt.Errorf("mcp: %w", err)
	}
	return nil
}
