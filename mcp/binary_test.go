package mcp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/analysis/report"
	"github.com/kgent/kgent/internal/testenv"
)

// TestBinaryOverStdio runs the built `kgent mcp` as a subprocess, as an
// MCP client would, and compares check_program with `kgent check --format
// json` on the same program.
func TestBinaryOverStdio(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Headers)
	testenv.Short(t, "builds the binary")
	dir := t.TempDir()
	bin := filepath.Join(dir, "kgent")
	build := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "../cmd/kgent")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.Command(bin, "mcp")
	// No LLM endpoint: generate_program must say it is offline.
	env := []string{}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "KGENT_LLM_") && !strings.HasPrefix(e, "OPENAI_API_KEY=") {
			env = append(env, e)
		}
	}
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	defer cs.Close()
	if init := cs.InitializeResult(); init.ServerInfo.Name != "kgent" || !strings.Contains(init.Instructions, "check_program") {
		t.Fatalf("%+v", init)
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 5 {
		t.Fatalf("%v %+v", err, tools)
	}

	var out CheckOutput
	call(t, cs, "check_program", map[string]any{"source": inventedHelper, "language": "c"}, &out)
	src := filepath.Join(dir, "program.bpf.c")
	if err := os.WriteFile(src, []byte(inventedHelper), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := exec.Command(bin, "check", "--format", "json", src)
	cliOut, _ := cli.Output() // exit status 1: errors found
	var rep report.JSONReport
	if err := json.Unmarshal(cliOut, &rep); err != nil || len(rep.Files) != 1 {
		t.Fatalf("kgent check: %v %s", err, cliOut)
	}
	if !reflect.DeepEqual(out.Diagnostics, rep.Files[0].Diagnostics) || out.KB != rep.KB {
		t.Fatalf("kgent mcp and kgent check differ:\n%+v\n%+v", out, rep)
	}
	if out.Diagnostics[0].Code != "KG201" || !strings.Contains(out.Diagnostics[0].Message, "bpf_get_current_pid_tgid") {
		t.Fatalf("%+v", out.Diagnostics)
	}

	var l LookupOutput
	call(t, cs, "lookup_kernel", map[string]any{"kind": "function", "query": "tcp_v4_connect"}, &l)
	if len(l.Matches) != 1 || l.Matches[0].Prototype != "int tcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)" {
		t.Fatalf("%+v", l)
	}
	var s SearchOutput
	call(t, cs, "search_examples", map[string]any{"query": "tcp connections"}, &s)
	if len(s.Examples) == 0 {
		t.Fatalf("%+v", s)
	}
	var g GenerateOutput
	call(t, cs, "generate_program", map[string]any{"request": "trace new processes with their arguments"}, &g)
	if !g.Offline || g.Provider != "offline" || g.Program == "" {
		t.Fatalf("%+v", g)
	}
	if res := call(t, cs, "lookup_kernel", map[string]any{"kind": "planet", "query": "x"}, nil); !res.IsError {
		t.Fatal("bad kind accepted")
	}
	// Still serving after the bad request.
	call(t, cs, "lookup_kernel", map[string]any{"kind": "helper", "query": "bpf_ktime_get_ns"}, &l)
	if len(l.Matches) != 1 {
		t.Fatalf("%+v", l)
	}

	// Raw stdio: garbage lines are dropped (and said so on stderr), the
	// session goes on, and the end of stdin ends the process with 0.
	raw := exec.CommandContext(ctx, bin, "mcp")
	raw.Env = env
	var rawErr bytes.Buffer
	raw.Stderr = &rawErr
	in, _ := raw.StdinPipe()
	outPipe, _ := raw.StdoutPipe()
	if err := raw.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(outPipe)
	sc.Buffer(nil, 64<<20)
	rs := &rawSession{t: t, w: in, r: sc}
	rs.send(initLine)
	rs.answer(1)
	rs.send(`{"jsonrpc":"2.0","method":"notifications/initialized","params":{}}`)
	for _, g := range garbage {
		rs.send(g)
	}
	rs.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"lookup_kernel","arguments":{"kind":"helper","query":"bpf_get_current_pid"}}}`)
	res := rs.answer(2)["result"].(map[string]any)
	if !strings.Contains(res["content"].([]any)[0].(map[string]any)["text"].(string), `"nearest":["bpf_get_current_pid_tgid"`) {
		t.Fatalf("%v", res)
	}
	in.Close()
	if err := raw.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, rawErr.String())
	}
	if !strings.Contains(rawErr.String(), "not a JSON-RPC message") {
		t.Fatalf("stderr: %s", rawErr.String())
	}
}
