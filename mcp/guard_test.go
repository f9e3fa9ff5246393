package mcp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The guard every tool runs under: a panic is a tool error, a call that
// runs out of time answers at its limit, secrets never leave.
func TestGuard(t *testing.T) {
	tl := &tools{opts: Options{Secrets: []string{"sk-secret-123"}}, log: discard()}
	type in struct{}
	boom := guard(tl, "boom", time.Second, func(context.Context, *mcp.CallToolRequest, in) (int, error) {
		var m map[string]int
		m["x"] = 1 // nil map: panics
		return 1, nil
	})
	if _, _, err := boom(context.Background(), nil, in{}); err == nil || !strings.Contains(err.Error(), "boom failed inside kgent") {
		t.Fatalf("panic: %v", err)
	}
	slow := guard(tl, "slow", 50*time.Millisecond, func(ctx context.Context, _ *mcp.CallToolRequest, _ in) (int, error) {
		time.Sleep(2 * time.Second) // ignores ctx, as check.File does
		return 1, nil
	})
	start := time.Now()
	if _, _, err := slow(context.Background(), nil, in{}); err == nil || !strings.Contains(err.Error(), "within its limit") || time.Since(start) > time.Second {
		t.Fatalf("timeout: %v after %v", err, time.Since(start))
	}
	leak := guard(tl, "leak", time.Second, func(context.Context, *mcp.CallToolRequest, in) (int, error) {
		return 0, errors.New("endpoint refused key sk-secret-123")
	})
	if _, _, err := leak(context.Background(), nil, in{}); err == nil || strings.Contains(err.Error(), "sk-secret-123") || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("secret: %v", err)
	}
	ok := guard(tl, "ok", time.Second, func(context.Context, *mcp.CallToolRequest, in) (int, error) { return 7, nil })
	if _, v, err := ok(context.Background(), nil, in{}); err != nil || v != 7 {
		t.Fatalf("%v %v", v, err)
	}
}

func TestTail(t *testing.T) {
	if got := tail("short", 10); got != "short" {
		t.Fatal(got)
	}
	log := strings.Repeat("line é\n", 100) + "last line"
	got := tail(log, 30)
	if !strings.HasPrefix(got, "...\n") || !strings.HasSuffix(got, "last line") || len(got) > 34 || !utf8.ValidString(got) {
		t.Fatalf("%q", got)
	}
	// Cut inside a rune, with no line break to align on.
	got = tail(strings.Repeat("é", 50), 7)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "ééé") {
		t.Fatalf("%q", got)
	}
}
