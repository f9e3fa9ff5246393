package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/report"
	"github.com/kgent/kgent/internal/testenv"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// kgentBinary builds the command once per test process.
func kgentBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kgent-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "kgent")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// diag is what the parity test compares of a finding: code, range,
// severity and message, as every front reports them.
type diag struct {
	Code              string
	L0, C0, L1, C1    int
	Severity, Message string
}

func (d diag) String() string {
	return fmt.Sprintf("%d:%d-%d:%d %s %s %s", d.L0, d.C0, d.L1, d.C1, d.Severity, d.Code, d.Message)
}

func sortDiags(ds []diag) []diag {
	sort.Slice(ds, func(i, j int) bool { return ds[i].String() < ds[j].String() })
	return ds
}

// parityFiles are every fixture and example, C and bpftrace.
func parityFiles(t *testing.T) []string {
	var files []string
	for _, root := range []string{"../../testdata", "../../analysis", "../../kb/examples"} {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if n := d.Name(); d.Type().IsRegular() && (strings.HasSuffix(n, ".bt") || strings.HasSuffix(n, ".bpf.c")) {
				abs, err := filepath.Abs(p)
				if err != nil {
					return err
				}
				files = append(files, abs)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 100 {
		t.Fatalf("only %d fixtures and examples found", len(files))
	}
	return files
}

// TestFrontsAgree: the same file with the same settings gives the same
// findings (code, range, severity, message) through kgent check --format
// json, the language server's publishDiagnostics and MCP's check_program.
// The bpftrace release and the include directories are set once: in the
// environment of all three, and again through the editor's settings for
// a second language server with a clean environment.
func TestFrontsAgree(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	testenv.Short(t, "builds the binary and runs every front over every example")
	bin := kgentBinary(t)
	files := parityFiles(t)
	inc, err := filepath.Abs("../../testdata/parity/include")
	if err != nil {
		t.Fatal(err)
	}
	// A release other than the installed one, so a front that asks the
	// installed bpftrace instead of the configuration disagrees.
	const release = "0.26"
	env := append(os.Environ(), "KGENT_BPFTRACE_VERSION="+release, "KGENT_INCLUDE_PATHS="+inc)

	cli := cliDiags(t, bin, env, files)
	lspEnv := lspDiags(t, bin, env, nil, files)
	var clean []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KGENT_BPFTRACE_VERSION=") && !strings.HasPrefix(kv, "KGENT_INCLUDE_PATHS=") {
			clean = append(clean, kv)
		}
	}
	lspSettings := lspDiags(t, bin, clean, map[string]any{"bpftraceVersion": release, "includePaths": []string{inc}}, files)
	mcpEnv := mcpDiags(t, bin, env, files)

	total, differ := 0, 0
	for _, f := range files {
		want := strings.Join(toStrings(cli[f]), "\n")
		total += len(cli[f])
		for name, got := range map[string][]diag{"language server (environment)": lspEnv[f], "language server (editor settings)": lspSettings[f], "MCP check_program": mcpEnv[f]} {
			if g := strings.Join(toStrings(got), "\n"); g != want {
				differ++
				t.Errorf("%s: %s disagrees with kgent check\nkgent check:\n%s\n%s:\n%s", f, name, want, name, g)
			}
		}
	}
	t.Logf("%d files, %d findings each through 4 fronts, %d disagreements", len(files), total, differ)
	if total == 0 {
		t.Fatal("no findings at all: the comparison proves nothing")
	}
}

func toStrings(ds []diag) []string {
	out := make([]string, len(ds))
	for i, d := range sortDiags(ds) {
		out[i] = d.String()
	}
	return out
}

func cliDiags(t *testing.T, bin string, env, files []string) map[string][]diag {
	cmd := exec.Command(bin, append([]string{"check", "--format", "json"}, files...)...)
	cmd.Env = env
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		t.Fatalf("kgent check: %v\n%s", err, cmd.Stderr)
	}
	var rep report.JSONReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("kgent check output: %v\n%.2000s", err, out)
	}
	got := map[string][]diag{}
	for _, f := range rep.Files {
		if f.Error != "" {
			t.Fatalf("kgent check %s: %s", f.Path, f.Error)
		}
		got[f.Path] = jsonDiags(f.Diagnostics)
	}
	if len(got) != len(files) {
		t.Fatalf("kgent check reported %d files of %d", len(got), len(files))
	}
	return got
}

// jsonDiags reads JSON diagnostics; the message carries the notes below
// it, one per line, as an editor shows them.
func jsonDiags(in []report.JSONDiagnostic) []diag {
	out := []diag{}
	for _, d := range in {
		out = append(out, diag{Code: d.Code, L0: d.Range.Start.Line, C0: d.Range.Start.Character, L1: d.Range.End.Line, C1: d.Range.End.Character,
			Severity: d.Severity, Message: strings.Join(append([]string{d.Message}, d.Notes...), "\n")})
	}
	return out
}

// lspDiags opens every file in a fresh server and collects the first
// publishDiagnostics of each.
func lspDiags(t *testing.T, bin string, env []string, settings map[string]any, files []string) map[string][]diag {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "lsp")
	cmd.Env = env
	in, _ := cmd.StdinPipe()
	outp, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	send := func(msg map[string]any) {
		msg["jsonrpc"] = "2.0"
		b, _ := json.Marshal(msg)
		if _, err := fmt.Fprintf(in, "Content-Length: %d\r\n\r\n%s", len(b), b); err != nil {
			t.Errorf("send: %v", err)
		}
	}
	byURI := map[string]string{}
	for _, f := range files {
		byURI[(&url.URL{Scheme: "file", Path: f}).String()] = f
	}
	got := map[string][]diag{}
	done := make(chan error, 1)
	go func() {
		r := bufio.NewReader(outp)
		for {
			n := 0
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					done <- fmt.Errorf("read: %v\n%s", err, stderr.String())
					return
				}
				line = strings.TrimSpace(line)
				if line == "" {
					break
				}
				if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
					n, _ = strconv.Atoi(v)
				}
			}
			body := make([]byte, n)
			if _, err := io.ReadFull(r, body); err != nil {
				done <- err
				return
			}
			var m struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
				Params struct {
					URI         string `json:"uri"`
					Diagnostics []struct {
						Code     string `json:"code"`
						Severity int    `json:"severity"`
						Message  string `json:"message"`
						Range    struct {
							Start, End struct{ Line, Character int }
						} `json:"range"`
					} `json:"diagnostics"`
				} `json:"params"`
			}
			if err := json.Unmarshal(body, &m); err != nil {
				done <- err
				return
			}
			if m.Method != "" && m.ID != nil {
				send(map[string]any{"id": m.ID, "result": nil}) // server requests: progress tokens
			}
			if m.Method != "textDocument/publishDiagnostics" {
				continue
			}
			f, ok := byURI[m.Params.URI]
			if !ok {
				continue
			}
			if _, seen := got[f]; seen {
				continue
			}
			ds := []diag{}
			for _, d := range m.Params.Diagnostics {
				ds = append(ds, diag{Code: d.Code, L0: d.Range.Start.Line, C0: d.Range.Start.Character, L1: d.Range.End.Line, C1: d.Range.End.Character,
					Severity: analysis.Severity(d.Severity).String(), Message: d.Message})
			}
			got[f] = ds
			if len(got) == len(files) {
				done <- nil
				return
			}
		}
	}()
	init := map[string]any{"processId": os.Getpid(), "rootUri": nil, "capabilities": map[string]any{}}
	if settings != nil {
		init["initializationOptions"] = map[string]any{"kgent": settings}
	}
	send(map[string]any{"id": 1, "method": "initialize", "params": init})
	send(map[string]any{"method": "initialized", "params": map[string]any{}})
	for uri, f := range byURI {
		text, lang := sourceOf(t, f)
		send(map[string]any{"method": "textDocument/didOpen", "params": map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": lang, "version": 1, "text": string(text)}}})
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatalf("language server: no diagnostics for every file of %d in time\n%s", len(files), stderr.String())
	}
	return got
}

// sourceOf reads a fixture and names its language as the fronts take it.
func sourceOf(t *testing.T, f string) ([]byte, string) {
	text, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(f, ".c") {
		return text, "c"
	}
	return text, "bpftrace"
}

func mcpDiags(t *testing.T, bin string, env, files []string) map[string][]diag {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.Command(bin, "mcp")
	cmd.Env = env
	client := mcp.NewClient(&mcp.Implementation{Name: "parity", Version: "test"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	got := map[string][]diag{}
	for _, f := range files {
		text, lang := sourceOf(t, f)
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "check_program", Arguments: map[string]any{"source": string(text), "language": lang, "path": f}})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if res.IsError {
			t.Fatalf("%s: check_program failed: %+v", f, res.Content)
		}
		b, _ := json.Marshal(res.StructuredContent)
		var out struct {
			Diagnostics []report.JSONDiagnostic `json:"diagnostics"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		got[f] = jsonDiags(out.Diagnostics)
	}
	return got
}
