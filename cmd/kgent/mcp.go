package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/mcp"
)

func init() {
	register("mcp", "run the MCP server (tools for coding agents) on stdio", runMCP)
}

func runMCP(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("mcp", "mcp [--kb DIR] [--btf FILE]", stderr)
	var kf kbFlags
	addKBFlags(fs, &kf)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	k, err := kb.Load(kf.options(stderr))
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	s := mcp.NewServer(mcp.Options{KB: k, Version: versionString()})
	if err := s.Run(ctx, &mcpsdk.StdioTransport{}); err != nil && ctx.Err() == nil {
		return fmt.Errorf("mcp: %w", err)
	}
	return nil
}
