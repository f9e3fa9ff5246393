package kb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseToolVersion(t *testing.T) {
	for out, want := range map[string]string{
		"bpftrace v0.23.2\n":                  "0.23.2",
		"bpftrace v0.17.0\n":                  "0.17.0",
		"bpftrace 0.27\n":                     "0.27",
		"Debian clang version 14.0.6\nTarget": "14.0.6",
	} {
		if got, ok := ParseToolVersion(out); !ok || got != want {
			t.Errorf("%q: %q %v, want %q", out, got, ok, want)
		}
	}
	if _, ok := ParseToolVersion("no version here"); ok {
		t.Error("a version from no number")
	}
}

// A tool's version is asked once per binary: again in another process
// (the on-disk cache), not again until the binary changes.
func TestToolVersionCached(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KGENT_KB_DIR", filepath.Join(dir, "cache"))
	count := filepath.Join(dir, "runs")
	tool := filepath.Join(dir, "faketool")
	script := "#!/bin/sh\necho x >> " + count + "\necho 'faketool v1.2.3'\n"
	if err := os.WriteFile(tool, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	runs := func() int {
		data, _ := os.ReadFile(count)
		return strings.Count(string(data), "x")
	}
	forget := func() {
		toolsMu.Lock()
		toolsMem = map[string]toolEntry{}
		toolsMu.Unlock()
	}
	for i := 0; i < 3; i++ {
		if v, err := ToolVersion(tool); err != nil || v != "1.2.3" {
			t.Fatalf("%q %v", v, err)
		}
	}
	forget() // a new process: only the disk cache remains
	if v, err := ToolVersion(tool); err != nil || v != "1.2.3" || runs() != 1 {
		t.Fatalf("%q %v after %d runs", v, err, runs())
	}
	// The binary is replaced: its version is asked again.
	os.WriteFile(tool, []byte(strings.Replace(script, "1.2.3", "1.3.0", 1)), 0o755)
	later := time.Now().Add(time.Second)
	os.Chtimes(tool, later, later)
	forget()
	if v, err := ToolVersion(tool); err != nil || v != "1.3.0" || runs() != 2 {
		t.Fatalf("%q %v after %d runs", v, err, runs())
	}
	if _, err := ToolVersion(filepath.Join(dir, "missing")); err == nil {
		t.Error("no error for a missing tool")
	}
	if _, err := ToolVersion("kgent-no-such-tool-in-path"); err == nil {
		t.Error("no error for a tool not in PATH")
	}
}

// The names the headers define are scanned once and kept in the cache
// until a header changes.
func TestHeaderNamesCached(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KGENT_KB_DIR", filepath.Join(dir, "cache"))
	h := filepath.Join(dir, "bpf_x.h")
	os.WriteFile(h, []byte("#define BPF_X_MACRO(a) (a)\nstatic __always_inline int bpf_x_helper(void *p)\n{ return 0; }\n"), 0o644)
	got := cachedHeaderNames([]string{h})
	if !got["BPF_X_MACRO"] || !got["bpf_x_helper"] {
		t.Fatalf("scan: %v", got)
	}
	// The cache answers while the header is unchanged: plant a name in it
	// to see that it is read.
	cache := filepath.Join(dir, "cache", headersFile)
	data, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cache, []byte(strings.Replace(string(data), `"BPF_X_MACRO"`, `"BPF_X_MACRO","FROM_CACHE"`, 1)), 0o600)
	if got := cachedHeaderNames([]string{h}); !got["FROM_CACHE"] {
		t.Fatalf("the cache was not used: %v", got)
	}
	// A changed header is scanned again.
	os.WriteFile(h, []byte("#define BPF_Y_MACRO 1\n"), 0o644)
	later := time.Now().Add(time.Second)
	os.Chtimes(h, later, later)
	if got := cachedHeaderNames([]string{h}); !got["BPF_Y_MACRO"] || got["FROM_CACHE"] || got["BPF_X_MACRO"] {
		t.Fatalf("after a change: %v", got)
	}
}
