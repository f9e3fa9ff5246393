package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kgent/kgent/agent"
	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/kb"
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
	opts := mcp.Options{Version: versionString(), BpftraceVersion: *btVersion}
	if opts.BpftraceVersion == "" {
		opts.BpftraceVersion = os.Getenv("KGENT_BPFTRACE_VERSION")
	}
	cfg, configured := agent.ConfigFromEnv()
	switch *provider {
	case "offline":
	case "", "openai":
		if *provider == "openai" || configured {
			p, err := agent.NewOpenAI(cfg)
			if err != nil {
				// The other tools still serve; generate_program says why.
				opts.ProviderErr = err
			} else {
				opts.Provider = p
			}
		}
	default:
		return usageErr("unknown --provider %q (offline, openai)", *provider)
	}
	if cfg.APIKey != "" {
		opts.Secrets = append(opts.Secrets, cfg.APIKey)
	}
	opts.Verify = verify.Options{ClangPath: os.Getenv("KGENT_CLANG"), BpftracePath: os.Getenv("KGENT_BPFTRACE")}
	if env := os.Getenv("KGENT_INCLUDE_PATHS"); env != "" {
		opts.Verify.IncludePaths = strings.Split(env, ":")
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	// stdout is the protocol; everything else goes to stderr.
	opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	k, err := kb.Load(kf.options(stderr))
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	// The nearest-name indexes are built in the background: the first
	// request does not wait for them (a lookup builds what it needs).
	go k.Warm()
	opts.KB = k
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := mcp.Run(ctx, opts, os.Stdin, os.Stdout); err != nil && ctx.Err() == nil {
		return fmt.Errorf("mcp: %w", err)
	}
	return nil
}
